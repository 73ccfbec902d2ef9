import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { LogContext } from '../logging/log-context.js';
import { consumedMessageFrom } from './consumed-message.js';
import { IntakeService } from './intake.service.js';
import { REQUESTED_TOPIC } from './requested-topic.js';

/** Entry point of the flow: one call per `campaign.resend.requested` record. */
@Controller()
export class RequestedMessageController {
  constructor(
    private readonly intake: IntakeService,
    private readonly logContext: LogContext,
  ) {}

  /**
   * Returns once the message is recorded; only then may kafkajs commit its offset.
   * The message is read from the context, which keeps its exact bytes (`_value` is Nest's
   * view of it, which differs for empty values).
   */
  @EventPattern<string>(REQUESTED_TOPIC)
  async onResendRequested(@Payload() _value: unknown, @Ctx() context: KafkaContext): Promise<void> {
    const message = consumedMessageFrom(context);
    await this.logContext.run({ kafkaRecord: `${message.topic}[${message.partition}]@${message.offset}` }, () =>
      this.intake.receive(message, context.getHeartbeat()),
    );
  }
}
