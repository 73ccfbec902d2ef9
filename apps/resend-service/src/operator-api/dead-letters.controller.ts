import { Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, Post, Query, UseGuards, UsePipes } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { DeadLetterQueries } from './dead-letter-queries.js';
import { DeadLetterReplay } from './dead-letter-replay.js';
import {
  alreadyReplayedSchema,
  deadLetterDetailSchema,
  deadLetterIdParam,
  deadLetterPageSchema,
  errorSchema,
  listDeadLettersQuery,
  operatorInputPipe,
  replayResultSchema,
  type ListDeadLettersQuery,
} from './operator-api.schemas.js';
import { OperatorApiErrors } from './operator-api-errors.js';
import { Operator, OperatorTokenGuard } from './operator-token.guard.js';

@ApiTags('dead letters')
@ApiBearerAuth()
@OperatorApiErrors()
@Controller('dead-letters')
@UseGuards(OperatorTokenGuard)
@UsePipes(operatorInputPipe)
export class DeadLettersController {
  constructor(
    private readonly deadLetters: DeadLetterQueries,
    private readonly replays: DeadLetterReplay,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Dead letters, newest first; page with nextCursor' })
  @ApiOkResponse({ standardSchema: deadLetterPageSchema })
  list(@Query({ schema: listDeadLettersQuery }) query: ListDeadLettersQuery) {
    return this.deadLetters.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One dead letter with its key, value (base64, and as text when UTF-8) and headers' })
  @ApiOkResponse({ standardSchema: deadLetterDetailSchema })
  @ApiNotFoundResponse({ standardSchema: errorSchema })
  async find(@Param({ schema: deadLetterIdParam }) { id }: { id: string }) {
    const found = await this.deadLetters.find(id);
    if (found === null) throw new NotFoundException(`no dead letter ${id}`);
    return found;
  }

  @Post(':id/replay')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Republish the original key, value and headers to the topic it came from (once)',
    description:
      'Marks the dead letter replayed and writes the message to the transactional outbox in one transaction; ' +
      "the outbox relay publishes it (at least once). A second replay answers 409 with the first replay's time.",
  })
  @ApiAcceptedResponse({ standardSchema: replayResultSchema })
  @ApiNotFoundResponse({ standardSchema: errorSchema })
  @ApiConflictResponse({ standardSchema: alreadyReplayedSchema, description: 'already replayed' })
  replay(@Param({ schema: deadLetterIdParam }) { id }: { id: string }, @Operator() operator: string) {
    return this.replays.replay(id, operator);
  }
}
