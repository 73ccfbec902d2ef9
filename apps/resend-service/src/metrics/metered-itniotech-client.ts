import { ItniotechClient, type ItniotechClientOptions, type ResendAiRequest, type TimeRange } from '#itniotech';
import type { FlowMetrics } from './flow-metrics.js';

/** The provider client with every call counted, timed and tracked in flight (resend_relay_provider_*). */
export class MeteredItniotechClient extends ItniotechClient {
  constructor(
    options: ItniotechClientOptions,
    private readonly metrics: FlowMetrics,
  ) {
    super(options);
  }

  override resendAi(body: ResendAiRequest) {
    return this.metrics.providerCall('submit', () => super.resendAi(body));
  }

  override findTasksByName(taskName: string, range: TimeRange, onQuery?: () => void) {
    return this.metrics.providerCall('lookup', () => super.findTasksByName(taskName, range, onQuery));
  }
}
