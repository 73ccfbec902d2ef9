import { spawn, type ChildProcess } from 'node:child_process';
import { SimulatorControl } from '../../apps/itniotech-simulator/src/simulator-control.js';
import { forgetProcessGroup, noteProcessGroup, signalProcessGroup } from './process-groups.js';
import { TEST_API_KEY, TEST_API_SECRET } from './service-harness.js';
import { waitFor } from './wait-for.js';

const SIMULATOR_ENTRY = 'dist/apps/itniotech-simulator/src/main.js';

/**
 * The built simulator as an OS process of its own (what `npm run start:simulator` runs), for
 * tests that measure when calls arrive: in the test runner's process, a busy moment of the
 * runner would hold arriving calls back and count them together, as no real provider would.
 * `env` holds SIMULATOR_* variables (docs/provider.md).
 */
export class SimulatorProcess extends SimulatorControl {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<number | null>,
  ) {
    super(url);
  }

  static async start(env: Record<string, string> = {}): Promise<SimulatorProcess> {
    const child = spawn(process.execPath, ['--enable-source-maps', SIMULATOR_ENTRY], {
      env: {
        PATH: process.env.PATH,
        SIMULATOR_PORT: '0',
        SIMULATOR_API_KEY: TEST_API_KEY,
        SIMULATOR_API_SECRET: TEST_API_SECRET,
        SIMULATOR_LOG_CALLS: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    noteProcessGroup(child.pid!, 'itniotech-simulator');
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        signalProcessGroup(child.pid!, 'SIGKILL');
        forgetProcessGroup(child.pid!);
        resolve(code);
      }),
    );
    const url = await waitFor(
      'the simulator process to listen',
      () => {
        if (child.exitCode !== null) throw new Error(`the simulator exited with ${child.exitCode}: ${output}`);
        return output.match(/listening on (http:\/\/[\d.]+:\d+)/)?.[1];
      },
      30_000,
    );
    return new SimulatorProcess(url, child, exited);
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) signalProcessGroup(this.child.pid!, 'SIGTERM');
    await this.exited;
  }
}
