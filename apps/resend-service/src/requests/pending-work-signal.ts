import { Injectable } from '@nestjs/common';
import { WakeSignal } from '#common';

/** Intake wakes the submission worker through this when it has recorded a new pending request. */
@Injectable()
export class PendingWorkSignal extends WakeSignal {}
