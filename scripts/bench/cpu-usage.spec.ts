import { describe, expect, it } from 'vitest';
import { machineBusy, parseMachineTicks, parseProcessStat, ticksBetween } from './cpu-usage.js';

describe('parseMachineTicks', () => {
  it('sums the busy fields of the aggregate line, with steal apart and idle and iowait only in the total', () => {
    const procStat = ['cpu  100 10 50 800 20 5 15 40 7 0', 'cpu0 50 5 25 400 10 2 8 20 7 0', 'intr 12345'].join('\n');
    // busy = user 100 + nice 10 + system 50 + irq 5 + softirq 15; guest (7) is already inside user.
    expect(parseMachineTicks(procStat)).toEqual({ busy: 180, steal: 40, total: 180 + 800 + 20 + 40 });
  });

  it('refuses a text without the aggregate line', () => {
    expect(() => parseMachineTicks('cpu0 1 2 3 4\n')).toThrow(/aggregate cpu line/);
  });
});

describe('machineBusy', () => {
  it('is the busy share of the elapsed ticks times the number of CPUs', () => {
    const before = { busy: 1000, steal: 0, total: 4000 };
    const after = { busy: 1750, steal: 50, total: 5000 }; // 1,000 ticks over 2 CPUs: 750 busy, 50 stolen
    expect(machineBusy(before, after, 2)).toEqual({ busyCores: 1.5, stealCores: 0.1 });
  });

  it('is zero when no time passed', () => {
    const same = { busy: 10, steal: 1, total: 20 };
    expect(machineBusy(same, same, 2)).toEqual({ busyCores: 0, stealCores: 0 });
  });
});

describe('parseProcessStat', () => {
  it('reads the parent pid and utime + stime after a command name with spaces and parentheses', () => {
    const fields = ['S', '4242', '1', '1', '0', '-1', '4194560', '100', '0', '0', '0', '321', '79', '0', '0'];
    expect(parseProcessStat(`1234 (postgres: a (b) c) ${fields.join(' ')}`)).toEqual({ parentPid: 4242, ticks: 400 });
  });
});

describe('ticksBetween', () => {
  it('sums what the processes alive at both readings used, leaving out one that ended or started in between', () => {
    const before = new Map([
      [10, 100], // the postmaster
      [11, 40], // a backend that lives on
      [12, 500], // a backend that ends in between
    ]);
    const after = new Map([
      [10, 103],
      [11, 50],
      [13, 7], // a backend that started in between
    ]);
    expect(ticksBetween(before, after)).toBe(13);
  });
});
