import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { consumedMessageFrom } from './consumed-message.js';
import { IntakeService } from './intake.service.js';
import { REQUESTED_TOPIC } from './requested-topic.js';

/** Entry point of the flow: one call per `campaign.resend.requested` record. */
@Controller()
export class RequestedMessageController {
  constructor(private readonly intake: IntakeService) {}

  /**
   * Returns once the message is recorded; only then may kafkajs commit its offset.
   * The message is read from the context, which keeps its exact bytes (`_value` is Nest's
   * view of it, which differs for empty values).
   */
  @EventPattern<string>(REQUESTED_TOPIC)
  async onResendRequested(@Payload() _value: unknown, @Ctx() context: KafkaContext): Promise<void> {
    await this.intake.receive(consumedMessageFrom(context), context.getHeartbeat());
  }
}
