import { Module } from '@nestjs/common';
import { KafkaAdmin } from './kafka-admin.js';
import { RequestConsumer } from './kafka-transport.js';

@Module({ providers: [KafkaAdmin, RequestConsumer], exports: [KafkaAdmin, RequestConsumer] })
export class KafkaModule {}
