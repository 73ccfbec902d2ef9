import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { waitFor } from '../support/wait-for.js';
import { parseProcessStat, ticksToMs } from './cpu-usage.js';

/** CPU time and resident memory of a process, from /proc (Linux). */
export interface ProcessSample {
  cpuMs: number;
  rssBytes: number;
}

/**
 * A Node program of the repository (the service, the simulator, the naive relay) run as a
 * child process with only the environment given, its output appended to a log file.
 */
export class BenchProcess {
  /** Every process started and not yet stopped, for the teardown after a failure or Ctrl-C. */
  private static readonly live = new Set<BenchProcess>();
  private readonly exited: Promise<number | null>;
  /** Epoch ms just after the spawn: V8's `--trace-gc` times count from about here. */
  readonly startedAt = Date.now();

  private constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    BenchProcess.live.add(this);
    void this.exited.then(() => BenchProcess.live.delete(this));
  }

  /** Stops every process still running. */
  static async stopAll(): Promise<void> {
    await Promise.all([...BenchProcess.live].map((running) => running.stop()));
  }

  /** `entry` is a built file under dist/; the output goes straight to `logFile`, not through us. */
  static start(name: string, entry: string, env: Record<string, string>, logFile: string, nodeOptions: string[] = []): BenchProcess {
    const log = openSync(logFile, 'a');
    try {
      const child = spawn(process.execPath, ['--enable-source-maps', ...nodeOptions, entry], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', log, log],
      });
      return new BenchProcess(name, logFile, child);
    } finally {
      closeSync(log);
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Throws if the process has ended, pointing at its log. */
  assertRunning(): void {
    if (this.hasExited) throw new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}); see ${this.logFile}`);
  }

  /** Waits until the log shows `pattern`; fails early if the process ends. */
  waitForLog(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return waitFor(
      `${this.name} to print ${pattern}`,
      () => {
        this.assertRunning();
        return readFileSync(this.logFile, 'utf8').match(pattern) ?? undefined;
      },
      timeoutMs,
      200,
    );
  }

  /** utime + stime and VmRSS of the process right now. */
  sample(): ProcessSample {
    const { ticks } = parseProcessStat(readFileSync(`/proc/${this.pid}/stat`, 'utf8'));
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    return { cpuMs: ticksToMs(ticks), rssBytes: rssKb * 1024 };
  }

  /** SIGTERM, then SIGKILL if it has not ended within `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
