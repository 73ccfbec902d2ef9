import type { Provider } from '@nestjs/common';
import { buildClassifier, ItniotechClient, parseClassificationOverrides, type Classifier } from '#itniotech';
import { AppConfig } from '../config/app-config.js';
import { FlowMetrics } from '../metrics/flow-metrics.js';
import { MeteredItniotechClient } from '../metrics/metered-itniotech-client.js';

export const CLASSIFIER = Symbol('Classifier');

/** The provider client and the answer classifier, built from the validated configuration. */
export const providerProviders: Provider[] = [
  {
    provide: ItniotechClient,
    inject: [AppConfig, FlowMetrics],
    useFactory: (config: AppConfig, metrics: FlowMetrics) =>
      new MeteredItniotechClient(
        {
          baseUrl: config.provider.baseUrl,
          apiKey: config.provider.apiKey,
          apiSecret: config.provider.apiSecret,
          timeoutMs: config.provider.timeoutMs,
          proxy: config.provider.proxy,
        },
        metrics,
      ),
  },
  {
    provide: CLASSIFIER,
    inject: [AppConfig],
    useFactory: (config: AppConfig): Classifier => buildClassifier(parseClassificationOverrides(config.provider.classificationOverrides)),
  },
];
