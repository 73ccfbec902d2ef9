import { randomUUID } from 'node:crypto';
import { EXAMPLE_TASK_SETTINGS } from '../../scripts/support/example-task-settings.js';

const issued = new Set<number>();

/** A fresh keyId, so that no test sees another test's idempotency state. */
export function uniqueKeyId(): number {
  for (;;) {
    const keyId = 100_000_000_000 + Math.floor(Math.random() * 800_000_000_000);
    if (!issued.has(keyId)) {
      issued.add(keyId);
      return keyId;
    }
  }
}

/** A valid `campaign.resend.requested` value, like the provider's own example. */
export function sampleRequest(overrides: Record<string, unknown> = {}) {
  return {
    requestId: `e2e-${randomUUID()}`,
    correlationId: `corr-${randomUUID()}`,
    keyId: uniqueKeyId(),
    taskName: `e2e ${randomUUID()}`,
    ...EXAMPLE_TASK_SETTINGS,
    ...overrides,
  };
}
