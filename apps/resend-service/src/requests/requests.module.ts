import { Module } from '@nestjs/common';
import { FlowProgress } from './flow-progress.js';
import { PendingWorkSignal } from './pending-work-signal.js';

/** The signals intake and the worker share: new pending work, and the progress /health watches. */
@Module({ providers: [PendingWorkSignal, FlowProgress], exports: [PendingWorkSignal, FlowProgress] })
export class RequestsModule {}
