import type { Provider } from '@nestjs/common';
import { buildClassifier, ItniotechClient, parseClassificationOverrides, type Classifier } from '#itniotech';
import { AppConfig } from '../config/app-config.js';

export const CLASSIFIER = Symbol('Classifier');

/** The provider client and the answer classifier, built from the validated configuration. */
export const providerProviders: Provider[] = [
  {
    provide: ItniotechClient,
    inject: [AppConfig],
    useFactory: (config: AppConfig) =>
      new ItniotechClient({
        baseUrl: config.provider.baseUrl,
        apiKey: config.provider.apiKey,
        apiSecret: config.provider.apiSecret,
        timeoutMs: config.provider.timeoutMs,
        proxy: config.provider.proxy,
      }),
  },
  {
    provide: CLASSIFIER,
    inject: [AppConfig],
    useFactory: (config: AppConfig): Classifier =>
      buildClassifier(parseClassificationOverrides(config.provider.classificationOverrides)),
  },
];
