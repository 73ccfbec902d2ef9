import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export interface MachineDescription {
  date: string;
  cpus: number;
  cpuModel: string;
  /** As the kernel reports it: "AMD EPYC" alone names machines of different speeds. */
  cpuMHz: number;
  memoryGiB: number;
  node: string;
  commit: string;
  /** 1-minute load average when the run started: the machine is shared. */
  loadAtStart: number;
}

export function describeMachine(): MachineDescription {
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cpuMHz: cpuMHz(),
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    commit: gitCommit(),
    loadAtStart: loadavg()[0]!,
  };
}

/** Node's `cpus()[0].speed` reads cpufreq, which a VM often lacks (0): /proc/cpuinfo has the clock. */
function cpuMHz(): number {
  try {
    const line = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (line) return Math.round(Number(line[1]));
  } catch {
    // Not Linux: fall through.
  }
  return cpus()[0]?.speed ?? 0;
}

export function currentLoad(): number {
  return loadavg()[0]!;
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return 'unknown';
  }
}
