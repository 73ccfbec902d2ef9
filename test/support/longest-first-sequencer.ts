import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files known to take longest start first, so that the run ends when its longest file does and
 * not when a long file picked last does. Vitest orders by the durations it cached in an earlier
 * run, and a fresh clone (CI) has none: without this list, the model check or a file that stops
 * and starts servers may start last. The rest keep Vitest's own order.
 */
const LONGEST_FIRST = [
  'test/model/model-check.spec.ts',
  'test/operations/shutdown.e2e-spec.ts',
  'test/faults/outages.e2e-spec.ts',
  'test/faults/crash-recovery.e2e-spec.ts',
  'test/operations/tracing.e2e-spec.ts',
  'test/submission/lookup-after-unknown-outcome.e2e-spec.ts',
  'test/submission/idempotency.e2e-spec.ts',
  'test/provider/provider-fidelity.e2e-spec.ts',
  'test/infrastructure/secure-kafka.e2e-spec.ts',
  'test/submission/one-outcome.e2e-spec.ts',
];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = LONGEST_FIRST.findIndex((path) => file.moduleId.endsWith(path));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    return sorted
      .map((file, position) => ({ file, position }))
      .sort((a, b) => rank(a.file) - rank(b.file) || a.position - b.position)
      .map(({ file }) => file);
  }
}
