import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProviderCall } from './call-pipeline.js';
import { Simulator } from './simulator.js';

type ParsedRequest = IncomingMessage & { body?: unknown };

/**
 * The provider's routes. Responses are written by hand because a fault may require
 * cutting the connection instead of answering.
 */
@Controller('voice/group/call')
export class ProviderApiController {
  constructor(private readonly simulator: Simulator) {}

  @Post('resend/ai')
  async resendAi(@Req() request: ParsedRequest, @Res() response: ServerResponse): Promise<void> {
    await this.serve({ ...describeRequest(request), endpoint: 'resend_ai' }, request, response);
  }

  @Post('query')
  async query(@Req() request: ParsedRequest, @Res() response: ServerResponse): Promise<void> {
    await this.serve({ ...describeRequest(request), endpoint: 'query' }, request, response);
  }

  @Get('detail/:id')
  async detail(@Param('id') id: string, @Req() request: ParsedRequest, @Res() response: ServerResponse): Promise<void> {
    await this.serve({ ...describeRequest(request), endpoint: 'detail', detailId: id }, request, response);
  }

  private async serve(call: ProviderCall, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = await this.simulator.pipeline.handle(call);
    if (reply.kind === 'drop') {
      // No answer at all: the client sees the connection close, as after a crash or a network cut.
      request.socket.destroy();
      return;
    }
    response.statusCode = reply.httpStatus;
    response.setHeader('Content-Type', reply.contentType);
    response.end(reply.body);
  }
}

function describeRequest(request: ParsedRequest): Omit<ProviderCall, 'endpoint'> {
  return {
    method: request.method ?? 'GET',
    path: (request.url ?? '/').split('?')[0] ?? '/',
    remoteAddress: (request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
    headers: {
      apiKey: singleHeader(request.headers['api-key']),
      timestamp: singleHeader(request.headers['timestamp']),
      sign: singleHeader(request.headers['sign']),
    },
    body: request.body,
  };
}

function singleHeader(value: string | string[] | undefined): string | null {
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}
