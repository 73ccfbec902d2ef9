import { afterAll } from 'vitest';
import { releaseContext } from './e2e-context.js';
import { ServiceProcess } from './service-process.js';

/**
 * Set up before every e2e file (vitest.config.ts setupFiles). Importing e2e-context makes the
 * file's own database, topics and group before the file's code runs. At the end of the file,
 * service processes that its tests did not stop (a test that timed out skips its own cleanup)
 * are killed, then the database and topics are released.
 */
afterAll(async () => {
  const killed = await ServiceProcess.killLeftovers();
  if (killed.length > 0) console.warn(`killed service processes left running by this file: ${killed.join(', ')}`);
  await releaseContext();
});
