import { Module, type DynamicModule, type InjectionToken, type OnApplicationShutdown } from '@nestjs/common';
import type { SqlDatabase } from '#sql';
import { KafkaOutboxPublisher, type KafkaPublisherOptions } from './outbox-publisher.js';
import { OutboxRelay, type OutboxRelayOptions } from './outbox.relay.js';
import { OutboxWriter } from './outbox.writer.js';

/** `database`: where the outbox table lives (the relay claims and marks rows in its own transactions). */
export type OutboxModuleOptions = OutboxRelayOptions & { kafka: KafkaPublisherOptions; database: SqlDatabase };

export interface OutboxModuleAsyncOptions {
  inject: InjectionToken[];
  useFactory: (...args: never[]) => OutboxModuleOptions;
}

/**
 * Provides the OutboxWriter (use it inside your transactions) and the OutboxRelay. The relay
 * does not start by itself: the application decides when (after start-up) and stops it in
 * its shutdown sequence, after the work that writes outbox rows has stopped.
 */
@Module({})
export class OutboxModule implements OnApplicationShutdown {
  constructor(private readonly relay: OutboxRelay) {}

  static forRootAsync(options: OutboxModuleAsyncOptions): DynamicModule {
    return {
      module: OutboxModule,
      providers: [
        {
          provide: OutboxRelay,
          inject: options.inject,
          useFactory: (...args: never[]) => {
            const settings = options.useFactory(...args);
            return new OutboxRelay(settings.database, new KafkaOutboxPublisher(settings.kafka), settings);
          },
        },
        // Publish-on-commit goes through the relay's writer publication: failing, it leaves the rows to that relay.
        { provide: OutboxWriter, inject: [OutboxRelay], useFactory: (relay: OutboxRelay) => new OutboxWriter(relay.writerPublication) },
      ],
      exports: [OutboxWriter, OutboxRelay],
    };
  }

  /**
   * The last resort, after the application's own shutdown sequence: not onModuleDestroy, which
   * Nest runs before beforeApplicationShutdown and would stop the relay before the application
   * could flush what its last work wrote.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    await this.relay.closePublisher();
  }
}
