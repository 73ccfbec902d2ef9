import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ControlApiController } from './control-api.controller.js';
import { ProviderApiController } from './provider-api.controller.js';
import { resolveSimulatorSettings, type SimulatorSettings } from './simulator-settings.js';
import { Simulator } from './simulator.js';

/**
 * Builds the simulator as a Nest application, not yet listening. Tests run it in-process:
 *   const app = await createSimulatorApp({ logCalls: false }, { logger: false });
 *   await app.listen(0, '127.0.0.1');
 * Throws if a setting is invalid.
 */
export async function createSimulatorApp(
  options: Partial<SimulatorSettings> = {},
  nestOptions: NestApplicationOptions = {},
): Promise<INestApplication> {
  const simulator = new Simulator(resolveSimulatorSettings(options));
  return NestFactory.create(
    {
      controllers: [ProviderApiController, ControlApiController],
      providers: [{ provide: Simulator, useValue: simulator }],
    },
    nestOptions,
  );
}
