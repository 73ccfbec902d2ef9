import { Module, type DynamicModule, type InjectionToken, type OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OutboxEvent } from './outbox-event.entity.js';
import { KafkaOutboxPublisher, type KafkaPublisherOptions } from './outbox-publisher.js';
import { OutboxRelay, type OutboxRelayOptions } from './outbox.relay.js';
import { OutboxWriter } from './outbox.writer.js';

export type OutboxModuleOptions = OutboxRelayOptions & { kafka: KafkaPublisherOptions };

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
      imports: [TypeOrmModule.forFeature([OutboxEvent])],
      providers: [
        OutboxWriter,
        {
          provide: OutboxRelay,
          inject: [DataSource, ...options.inject],
          useFactory: (dataSource: DataSource, ...args: never[]) => {
            const settings = options.useFactory(...args);
            return new OutboxRelay(dataSource, new KafkaOutboxPublisher(settings.kafka), settings);
          },
        },
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
