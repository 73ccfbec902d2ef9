import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { IntakeModule } from './intake/intake.module.js';
import { KafkaModule } from './kafka/kafka.module.js';
import { OperatorApiModule } from './operator-api/operator-api.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { LogContextModule } from './logging/log-context.js';
import { httpRequestLogOptions } from './logging/http-request-log.js';
import type { Tracing } from './tracing/tracing.js';
import { TracingModule } from './tracing/tracing.module.js';
import { OutcomeModule } from './outcome/outcome.module.js';
import { SubmissionModule } from './submission/submission.module.js';

/** The flow of a request: intake → submission → outcome (outbox), started by LifecycleModule; plus health, metrics and the operator API. */
@Module({})
export class AppModule {
  /** `tracing`: the SDK main.ts started, flushed on shutdown; none when tracing is off (or a test runs its own). */
  static forRoot(config: AppConfig, tracing?: Tracing): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: httpRequestLogOptions(config.logLevel) }),
        TracingModule.forRoot(tracing),
        LogContextModule,
        DatabaseModule,
        MetricsModule,
        KafkaModule,
        IntakeModule,
        SubmissionModule,
        OutcomeModule,
        LifecycleModule,
        HealthModule,
        OperatorApiModule,
      ],
    };
  }
}
