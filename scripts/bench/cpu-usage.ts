import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Who used the machine's CPU during a paced arm: the whole machine (/proc/stat) and the
 * processes around the contender (the broker, the PostgreSQL server). On a small machine the
 * latency of a paced arm depends on how busy the machine was, so the report shows it next to the
 * latencies. Linux only; the arithmetic is pure and unit-tested (cpu-usage.spec.ts).
 */

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export function ticksToMs(ticks: number): number {
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** The machine's CPU time since boot, in clock ticks, summed over its CPUs. */
export interface MachineTicks {
  /** user, nice, system, irq, softirq: work this machine did. */
  busy: number;
  /** Time a virtual CPU was ready but the hypervisor ran something else. */
  steal: number;
  /** Everything, idle and iowait included. */
  total: number;
}

/** How many CPUs were busy on average between two readings, and how many were stolen. */
export interface MachineBusy {
  busyCores: number;
  stealCores: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseMachineTicks(procStat: string): MachineTicks {
  const line = procStat.split('\n').find((text) => text.startsWith('cpu '));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  // user nice system idle iowait irq softirq steal [guest guest_nice: already counted in user and nice]
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

export function machineBusy(before: MachineTicks, after: MachineTicks, cpus: number): MachineBusy {
  const total = after.total - before.total;
  if (total <= 0) return { busyCores: 0, stealCores: 0 };
  return {
    busyCores: ((after.busy - before.busy) / total) * cpus,
    stealCores: ((after.steal - before.steal) / total) * cpus,
  };
}

/** utime + stime (ticks) and the parent's pid, from the text of /proc/<pid>/stat. */
export function parseProcessStat(stat: string): { parentPid: number; ticks: number } {
  // Fields after the command name (which may contain spaces and parentheses) start with field 3, the state.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { parentPid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

export function readMachineTicks(): MachineTicks {
  return parseMachineTicks(readFileSync('/proc/stat', 'utf8'));
}

/** CPU ticks of a process and of each of its children alive right now (a PostgreSQL server: the postmaster and its backends), by pid. */
export function readProcessTreeTicks(rootPid: number): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: { parentPid: number; ticks: number };
    try {
      stat = parseProcessStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
    } catch {
      continue; // ended while we looked
    }
    if (Number(entry) === rootPid || stat.parentPid === rootPid) ticks.set(Number(entry), stat.ticks);
  }
  return ticks;
}

/**
 * Ticks the processes alive at both readings used in between. One that started or ended in
 * between is left out (its total would count what it used before the window, or drop out and
 * make the sum negative — a backend closed while the other contender took its turn did).
 */
export function ticksBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, then] of before) {
    const now = after.get(pid);
    if (now !== undefined && now >= then) ticks += now - then;
  }
  return ticks;
}

/** What the machine and the processes around the contender used over a window. */
export interface CpuWindow {
  machine: MachineBusy;
  brokerCpuMs: number;
  postgresCpuMs: number;
}

/** Starts a window now; the function it returns ends it. */
export function startCpuWindow(pids: { broker: number; postgres: number }, cpus: number): () => CpuWindow {
  const machine = readMachineTicks();
  const broker = readProcessTreeTicks(pids.broker);
  const postgres = readProcessTreeTicks(pids.postgres);
  return () => ({
    machine: machineBusy(machine, readMachineTicks(), cpus),
    brokerCpuMs: ticksToMs(ticksBetween(broker, readProcessTreeTicks(pids.broker))),
    postgresCpuMs: ticksToMs(ticksBetween(postgres, readProcessTreeTicks(pids.postgres))),
  });
}
