import { describe, expect, it } from 'vitest';
import { leaseOwnerSequence } from './lease-owners.js';

describe('leaseOwnerSequence', () => {
  it('gives every claim of a process a lease owner of its own', () => {
    const next = leaseOwnerSequence('host-1');
    const owners = Array.from({ length: 100 }, () => next());
    expect(new Set(owners).size).toBe(100);
  });

  it('never repeats another process’s lease owners, even under the same INSTANCE_ID (replicas, pid 1 in every container)', () => {
    const first = leaseOwnerSequence('resend-relay-1');
    const second = leaseOwnerSequence('resend-relay-1');
    const owners = new Set(Array.from({ length: 50 }, () => first()));
    for (let claim = 0; claim < 50; claim += 1) expect(owners.has(second())).toBe(false);
  });

  it('names the instance first, for people reading resend_request.lease_owner', () => {
    expect(leaseOwnerSequence('host-1', 'a1b2')()).toBe('host-1/a1b2/1');
  });
});
