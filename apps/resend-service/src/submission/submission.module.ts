import { Module, type OnApplicationShutdown } from '@nestjs/common';
import { ItniotechClient } from '#itniotech';
import { MetricsModule } from '../metrics/metrics.module.js';
import { OutcomeModule } from '../outcome/outcome.module.js';
import { RequestsModule } from '../requests/requests.module.js';
import { IntakeClaims } from './intake-claims.js';
import { ProviderCallBudget } from './provider-call-budget.js';
import { providerProviders } from './provider.providers.js';
import { RequestClaims } from './request-claims.js';
import { ResultRecorder } from './result-recorder.js';
import { RetryPolicy } from './retry-policy.js';
import { SubmissionProcessor } from './submission.processor.js';
import { SubmissionWorker } from './submission.worker.js';

/** Step 2 of the flow: claim pending requests and submit them to the provider. */
@Module({
  imports: [MetricsModule, RequestsModule, OutcomeModule],
  providers: [
    ...providerProviders,
    RequestClaims,
    IntakeClaims,
    ProviderCallBudget,
    RetryPolicy,
    ResultRecorder,
    SubmissionProcessor,
    SubmissionWorker,
  ],
  exports: [SubmissionWorker, IntakeClaims, ProviderCallBudget],
})
export class SubmissionModule implements OnApplicationShutdown {
  constructor(private readonly client: ItniotechClient) {}

  /** After the worker has stopped (FlowLifecycle runs before shutdown): close idle provider connections. */
  onApplicationShutdown(): void {
    this.client.close();
  }
}
