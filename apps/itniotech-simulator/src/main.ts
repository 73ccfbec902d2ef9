import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createSimulatorApp } from './create-simulator-app.js';
import { readSimulatorEnvironment, type SimulatorEnvironment } from './simulator-environment.js';

const logger = new Logger('ItniotechSimulator');

/** Starts the Itniotech simulator from environment variables (see docs/provider.md). */
async function main(): Promise<void> {
  const environment = readEnvironmentOrExit();
  const app = await createSimulatorApp(environment.settings);
  // Nest closes the server on SIGTERM/SIGINT, so a supervisor can stop it cleanly.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(environment.port, environment.host);
  // The address it really listens on: with SIMULATOR_PORT=0 the system chose the port.
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  logger.log(`Itniotech simulator listening on ${url} (api key "${environment.settings.apiKey}")`);
}

/** A bad setting stops the start with one line naming it, not a stack trace. */
function readEnvironmentOrExit(): SimulatorEnvironment {
  try {
    return readSimulatorEnvironment(process.env);
  } catch (error) {
    logger.error((error as Error).message);
    process.exit(1);
  }
}

void main();
