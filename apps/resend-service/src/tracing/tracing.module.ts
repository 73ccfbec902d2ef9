import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Tracing } from './tracing.js';

const TRACING = Symbol('Tracing');

/**
 * Holds the tracing SDK that main.ts started before loading the app (none when tracing is off, or
 * when a test registered its own), and flushes it last on shutdown: after FlowLifecycle has
 * stopped the flow, so that the spans of the last calls and publishes are exported.
 */
@Module({})
export class TracingModule implements OnApplicationShutdown {
  constructor(@Inject(TRACING) private readonly tracing: Tracing | null) {}

  static forRoot(tracing: Tracing | undefined): DynamicModule {
    return { module: TracingModule, providers: [{ provide: TRACING, useValue: tracing ?? null }] };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.tracing?.shutdown().catch(() => undefined);
  }
}
