import { Global, Module } from '@nestjs/common';
import { FlowProgress } from './flow-progress.js';
import { PendingWorkSignal } from './pending-work-signal.js';

@Global()
@Module({ providers: [PendingWorkSignal, FlowProgress], exports: [PendingWorkSignal, FlowProgress] })
export class RequestsModule {}
