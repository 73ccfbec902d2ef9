import { Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { KafkaModule } from '../kafka/kafka.module.js';
import { ConsumerLagGauge } from './consumer-lag-gauge.js';
import { DatabaseGauges } from './database-gauges.js';
import { FlowMetrics } from './flow-metrics.js';
import { MetricsController } from './metrics.controller.js';

/**
 * Prometheus metrics at `GET /metrics`. One registry per app (not prom-client's global one), so
 * that several apps in one process (the in-process e2e tests) each count their own; the
 * process metrics (CPU, memory, event loop, GC) are prom-client's defaults, prefixed too.
 */
@Module({
  imports: [KafkaModule],
  controllers: [MetricsController],
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry, prefix: 'resend_relay_' });
        return registry;
      },
    },
    FlowMetrics,
    DatabaseGauges,
    ConsumerLagGauge,
  ],
  exports: [FlowMetrics, Registry],
})
export class MetricsModule {}
