import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every process an e2e test starts leads a process group of its own (spawned `detached`), so that
 * one signal to the group stops it with everything it started. The group's id is also noted as a
 * file in E2E_PROCESS_GROUPS_DIR (set by scripts/test.sh), and the script kills every group still
 * noted there when the run ends, however it ends: a test that timed out, a worker that crashed or
 * a run stopped with Ctrl-C leaves nothing running that could disturb the next run.
 */
const registry = process.env.E2E_PROCESS_GROUPS_DIR;

export function noteProcessGroup(pgid: number, what: string): void {
  if (!registry) return;
  mkdirSync(registry, { recursive: true });
  writeFileSync(join(registry, String(pgid)), `${what}\n`);
}

export function forgetProcessGroup(pgid: number): void {
  if (registry) rmSync(join(registry, String(pgid)), { force: true });
}

/** Signals the whole group led by `pgid`; a group that has already exited is not an error. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
