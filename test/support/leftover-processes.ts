import { afterAll } from 'vitest';
import { ServiceProcess } from './service-process.js';

/**
 * Set up before every e2e file (vitest.config.ts setupFiles): at the end of the file, service
 * processes that its tests did not stop — a test that timed out skips its own cleanup — are
 * killed, so that they cannot take partitions in the next file's consumer group.
 */
afterAll(async () => {
  const killed = await ServiceProcess.killLeftovers();
  if (killed.length > 0) console.warn(`killed service processes left running by this file: ${killed.join(', ')}`);
});
