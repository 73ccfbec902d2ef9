import { Module } from '@nestjs/common';
import { OutcomeModule } from '../outcome/outcome.module.js';
import { DeadLetters } from './dead-letters.js';
import { IntakeService } from './intake.service.js';
import { RequestRecorder } from './request-recorder.js';
import { RequestedMessageController } from './requested-message.controller.js';

/** Step 1 of the flow: consume, validate, record. */
@Module({
  imports: [OutcomeModule],
  controllers: [RequestedMessageController],
  providers: [IntakeService, RequestRecorder, DeadLetters],
  exports: [IntakeService],
})
export class IntakeModule {}
