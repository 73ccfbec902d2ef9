import { Module } from '@nestjs/common';
import { KafkaAdmin } from './kafka-admin.js';

@Module({ providers: [KafkaAdmin], exports: [KafkaAdmin] })
export class KafkaModule {}
