import { describe, expect, it } from 'vitest';
import { faultRuleSchema, type FaultRule } from './fault-rule.js';
import { FaultRules, matches } from './fault-rules.js';

const resendPath = '/voice/group/call/resend/ai';
const call = { path: resendPath, keyId: 123, taskName: 'spring-sale' };

describe('matches', () => {
  it.each<[string, FaultRule, boolean]>([
    ['no match clause', { drop: 'before_processing' }, true],
    ['same path', { match: { path: resendPath }, drop: 'before_processing' }, true],
    ['other path', { match: { path: '/voice/group/call/query' }, drop: 'before_processing' }, false],
    ['same keyId and name', { match: { keyId: 123, taskName: 'spring-sale' }, drop: 'before_processing' }, true],
    ['other keyId', { match: { keyId: 124 }, drop: 'before_processing' }, false],
    ['name that only contains', { match: { taskName: 'spring' }, drop: 'before_processing' }, false],
  ])('%s → %s', (_name, rule, expected) => {
    expect(matches(rule, call)).toBe(expected);
  });
});

describe('FaultRules', () => {
  it('applies the first matching rule, in the order added', () => {
    const rules = new FaultRules();
    rules.add({ match: { taskName: 'other' }, httpStatus: 500 });
    const second = rules.add({ httpStatus: 503 });
    rules.add({ httpStatus: 504 });
    expect(rules.take(call)?.id).toBe(second.id);
  });

  it('uses a rule up after its times, then falls through to the next', () => {
    const rules = new FaultRules();
    const once = rules.add({ times: 2, httpStatus: 503 });
    const always = rules.add({ httpStatus: 500 });
    expect([rules.take(call)?.id, rules.take(call)?.id, rules.take(call)?.id, rules.take(call)?.id]).toEqual([
      once.id,
      once.id,
      always.id,
      always.id,
    ]);
    expect(rules.list()).toEqual([{ id: always.id, rule: { httpStatus: 500 }, remaining: null, matched: 2 }]);
  });

  it('has nothing for a call when empty or cleared', () => {
    const rules = new FaultRules();
    rules.add({ httpStatus: 503 });
    expect(rules.clear()).toBe(1);
    expect(rules.take(call)).toBeUndefined();
  });
});

describe('faultRuleSchema', () => {
  it.each([
    [{ answer: { status: '-18' } }],
    [{ answer: { status: -37, reason: 'busy' }, httpStatus: 200, times: 3 }],
    [{ httpStatus: 503 }],
    [{ body: 'garbage' }],
    [{ latencyMs: { min: 10, max: 20 }, delayPhase: 'before_processing' }],
    [{ hold: true, match: { path: resendPath } }],
    [{ drop: 'after_processing', latencyMs: 5 }],
    [{ drop: 'before_processing', processAfterDropMs: 3000 }],
    [{ drop: 'before_processing', latencyMs: 1500, processAfterDropMs: 0 }],
  ])('accepts %j', (rule) => {
    expect(faultRuleSchema.safeParse(rule).success).toBe(true);
  });

  it('keeps a numeric answer status as a string', () => {
    expect(faultRuleSchema.parse({ answer: { status: -37 } }).answer?.status).toBe('-37');
  });

  it.each([
    [{}],
    [{ match: { taskName: 'x' } }],
    [{ answer: { status: '0' } }],
    [{ answer: { status: 'oops' } }],
    [{ answer: { status: '-1' }, drop: 'before_processing' }],
    [{ drop: 'sometimes' }],
    [{ latencyMs: { min: 20, max: 10 } }],
    [{ times: 0, httpStatus: 503 }],
    [{ httpStatus: 503, unknownField: true }],
    [{ drop: 'after_processing', processAfterDropMs: 100 }],
    [{ latencyMs: 100, processAfterDropMs: 100 }],
    [{ drop: 'before_processing', processAfterDropMs: -1 }],
  ])('refuses %j', (rule) => {
    expect(faultRuleSchema.safeParse(rule).success).toBe(false);
  });
});
