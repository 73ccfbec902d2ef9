import { Controller, Get, NotFoundException, Param, Query, UseGuards, UsePipes } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  errorSchema,
  listRequestsQuery,
  operatorInputPipe,
  requestDetailSchema,
  requestIdParam,
  requestPageSchema,
  type ListRequestsQuery,
} from './operator-api.schemas.js';
import { OperatorApiErrors } from './operator-api-errors.js';
import { OperatorTokenGuard } from './operator-token.guard.js';
import { RequestQueries } from './request-queries.js';

@ApiTags('requests')
@ApiBearerAuth()
@OperatorApiErrors()
@Controller('requests')
@UseGuards(OperatorTokenGuard)
@UsePipes(operatorInputPipe)
export class RequestsController {
  constructor(private readonly requests: RequestQueries) {}

  @Get()
  @ApiOperation({ summary: 'Requests, newest first, by keyId and status; page with nextCursor' })
  @ApiOkResponse({ standardSchema: requestPageSchema })
  list(@Query({ schema: listRequestsQuery }) query: ListRequestsQuery) {
    return this.requests.list(query);
  }

  @Get(':requestId')
  @ApiOperation({ summary: 'One request: its row, state, provider calls and outcome event ids' })
  @ApiOkResponse({ standardSchema: requestDetailSchema })
  @ApiNotFoundResponse({ standardSchema: errorSchema, description: 'no message carried this requestId' })
  async find(@Param({ schema: requestIdParam }) { requestId }: { requestId: string }) {
    const found = await this.requests.find(requestId);
    if (found === null) throw new NotFoundException(`no request ${requestId}`);
    return found;
  }
}
