import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { z } from 'zod';
import { faultRuleSchema } from './fault-rule.js';
import { runtimeSettingsSchema } from './simulator-settings.js';
import { Simulator } from './simulator.js';

/**
 * Test and benchmark controls, under /__simulator/. No signature: this is not the provider's
 * API, and the simulator is only ever bound to a local address.
 */
@Controller('__simulator')
export class ControlApiController {
  constructor(private readonly simulator: Simulator) {}

  /** Tasks created (with the body and headers received) and call counters. */
  @Get('ledger')
  ledger(): object {
    const tasks = this.simulator.tasks.list().map((task) => ({
      taskId: task.taskId,
      keyId: task.keyId,
      taskName: task.taskName,
      body: task.body,
      headers: task.headers,
      // Only calls with a valid signature create tasks; stated so tests can assert it.
      signatureValid: true,
      createdAt: task.createdAt,
      createdTime: task.createdTime,
      status: task.status,
    }));
    return { tasks, calls: this.simulator.journal.counters() };
  }

  /** Every provider call received (the most recent ones, up to the history limit), with its answer. */
  @Get('calls')
  calls(): object {
    return { ...this.simulator.journal.counters(), calls: this.simulator.journal.list() };
  }

  @Post('reset')
  @HttpCode(200)
  reset(): object {
    this.simulator.reset();
    return { reset: true };
  }

  @Get('faults')
  listFaults(): object {
    return { rules: this.simulator.faults.list() };
  }

  /** One rule or an array of rules; answers them with their ids. */
  @Post('faults')
  @HttpCode(200)
  addFaults(@Body() body: unknown): object {
    // Parsed one shape at a time: a union would hide which field is wrong.
    const input = Array.isArray(body) ? parseOrReject(z.array(faultRuleSchema).min(1), body) : [parseOrReject(faultRuleSchema, body)];
    const rules = input.map((rule) => this.simulator.faults.add(rule));
    return { rules };
  }

  @Delete('faults')
  clearFaults(): object {
    return { cleared: this.simulator.faults.clear() };
  }

  @Get('settings')
  settings(): object {
    return this.simulator.settings.describe();
  }

  @Post('settings')
  @HttpCode(200)
  updateSettings(@Body() body: unknown): object {
    const changes = parseOrReject(runtimeSettingsSchema, body);
    try {
      this.simulator.settings.update(changes);
    } catch (error) {
      throw new BadRequestException(error instanceof z.ZodError ? z.prettifyError(error) : String(error));
    }
    return this.simulator.settings.describe();
  }

  /** Calls waiting for a release (rules with `hold: true`). */
  @Get('held')
  held(): object {
    const calls = this.simulator.held.list();
    return { count: calls.length, calls };
  }

  @Post('release')
  @HttpCode(200)
  release(): object {
    return { released: this.simulator.held.releaseAll() };
  }
}

function parseOrReject<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new BadRequestException(z.prettifyError(parsed.error));
  return parsed.data;
}
