import type { FaultRule } from './fault-rule.js';

/** What a call offers for matching: its path and, for a resend, its keyId and taskName. */
export interface CallFacts {
  path: string;
  keyId: unknown;
  taskName: unknown;
}

export interface ActiveFaultRule {
  id: number;
  rule: FaultRule;
  /** Uses left; null means unlimited. */
  remaining: number | null;
  matched: number;
}

/**
 * The rule engine: rules are tried in the order they were added; the first one that matches a
 * call applies to it (and uses up one of its `times`). Nothing else is decided here.
 */
export class FaultRules {
  private rules: ActiveFaultRule[] = [];
  private nextId = 1;

  add(rule: FaultRule): ActiveFaultRule {
    const active: ActiveFaultRule = { id: this.nextId++, rule, remaining: rule.times ?? null, matched: 0 };
    this.rules.push(active);
    return active;
  }

  /** The rule for this call, if any, counting the use. */
  take(call: CallFacts): ActiveFaultRule | undefined {
    const found = this.rules.find((active) => matches(active.rule, call));
    if (found === undefined) return undefined;
    found.matched += 1;
    if (found.remaining !== null) {
      found.remaining -= 1;
      if (found.remaining === 0) this.rules = this.rules.filter((active) => active !== found);
    }
    return found;
  }

  list(): ActiveFaultRule[] {
    return [...this.rules];
  }

  clear(): number {
    const cleared = this.rules.length;
    this.rules = [];
    return cleared;
  }
}

/** Every field the rule names must equal the call's; a rule without `match` matches every call. */
export function matches(rule: FaultRule, call: CallFacts): boolean {
  const wanted = rule.match ?? {};
  return (
    (wanted.path === undefined || wanted.path === call.path) &&
    (wanted.keyId === undefined || wanted.keyId === call.keyId) &&
    (wanted.taskName === undefined || wanted.taskName === call.taskName)
  );
}
