import { Controller, Get, Res } from '@nestjs/common';
import { Registry } from 'prom-client';

/** `GET /metrics`: Prometheus text format. Open, like /health. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  async scrape(@Res({ passthrough: true }) response: { header(name: string, value: string): void }): Promise<string> {
    response.header('Content-Type', this.registry.contentType);
    return this.registry.metrics();
  }
}
