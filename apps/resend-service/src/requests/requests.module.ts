import { Global, Module } from '@nestjs/common';
import { PendingWorkSignal } from './pending-work-signal.js';

@Global()
@Module({ providers: [PendingWorkSignal], exports: [PendingWorkSignal] })
export class RequestsModule {}
