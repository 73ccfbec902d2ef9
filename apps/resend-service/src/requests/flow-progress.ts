import { Injectable } from '@nestjs/common';
import { StageProgress } from '#common';

/**
 * The progress of the flow's stages that live in this app: intake (recording consumed batches) and
 * submission (claims and result writes). The outbox relay keeps its own (OutboxRelay.progress).
 * Read by the stage watchdog (health/stage-watchdog.ts) for readiness and the metrics.
 */
@Injectable()
export class FlowProgress {
  readonly intake = new StageProgress('intake');
  readonly submission = new StageProgress('submission');
}
