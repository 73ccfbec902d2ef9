import { Module } from '@nestjs/common';
import { OutcomeModule } from '../outcome/outcome.module.js';
import { DeadLetterQueries } from './dead-letter-queries.js';
import { DeadLetterReplay } from './dead-letter-replay.js';
import { DeadLettersController } from './dead-letters.controller.js';
import { OperatorTokenGuard } from './operator-token.guard.js';
import { RequestQueries } from './request-queries.js';
import { RequestsController } from './requests.controller.js';

/**
 * The operator API: look requests and dead letters up, replay a dead letter. Bearer tokens from
 * OPERATOR_API_TOKENS; documented at /docs and /openapi.json (see api-docs.ts).
 */
@Module({
  imports: [OutcomeModule],
  controllers: [RequestsController, DeadLettersController],
  providers: [OperatorTokenGuard, RequestQueries, DeadLetterQueries, DeadLetterReplay],
})
export class OperatorApiModule {}
