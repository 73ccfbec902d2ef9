import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ItniotechClient, type ResendAiRequest } from '#itniotech';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectProxy } from '../support/connect-proxy.js';
import { TestDatabase } from '../support/database.js';
import { KafkaTestClient } from '../support/kafka-test-client.js';
import { sampleRequest } from '../support/requests.js';
import { TEST_API_KEY, TEST_API_SECRET } from '../support/service-harness.js';
import { ServiceProcess } from '../support/service-process.js';
import { RunningSimulator } from '../support/simulator-harness.js';
import { issueCertificate, makeTestCa, type TestCa } from '../support/test-certificates.js';
import { TlsFront } from '../support/tls-front.js';
import { waitFor } from '../support/wait-for.js';
import { EXAMPLE_TASK_SETTINGS } from '../../scripts/support/example-task-settings.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

const RESEND_BODY: ResendAiRequest = {
  keyId: 1,
  taskName: 'proxied',
  ...EXAMPLE_TASK_SETTINGS,
};

/**
 * Provider calls through an egress proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY): a small local
 * proxy that counts what passes, the simulator behind a TLS front for https://.
 */
describe('provider calls through an outbound proxy', () => {
  let dir: string;
  let ca: TestCa;
  let simulator: RunningSimulator;
  let front: TlsFront;
  let proxy: ConnectProxy;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'resend-relay-proxy-'));
    ca = await makeTestCa(dir, 'provider-test-ca');
    simulator = await RunningSimulator.start();
    front = await TlsFront.start(simulator.url, await issueCertificate(ca, dir, 'provider', ['IP:127.0.0.1']));
    proxy = await ConnectProxy.start();
  });

  afterAll(async () => {
    await proxy?.close();
    await front?.close();
    await simulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('forwards http:// calls through HTTP_PROXY with the proxy credentials, and a proxy that is down is not an unknown outcome', async () => {
    const viaProxy = new URL(proxy.url);
    viaProxy.username = 'egress';
    viaProxy.password = 'proxy-pass';
    const client = new ItniotechClient({
      baseUrl: simulator.url,
      apiKey: TEST_API_KEY,
      apiSecret: TEST_API_SECRET,
      timeoutMs: 3_000,
      proxy: { httpProxy: viaProxy.href, httpsProxy: null, noProxy: '' },
    });
    const keyId = 900_000_000_001;
    const result = await client.resendAi({ ...RESEND_BODY, keyId, taskName: `proxied ${keyId}` });
    expect(result.kind).toBe('accepted');
    expect(proxy.forwarded).toEqual([`${simulator.url}/voice/group/call/resend/ai`]);
    expect(proxy.authorizations).toEqual([`Basic ${Buffer.from('egress:proxy-pass').toString('base64')}`]);
    expect(await simulator.tasksFor(keyId)).toHaveLength(1);
    client.close();

    const gone = await ConnectProxy.start();
    await gone.close();
    const unreachable = new ItniotechClient({
      baseUrl: simulator.url,
      apiKey: TEST_API_KEY,
      apiSecret: TEST_API_SECRET,
      timeoutMs: 3_000,
      proxy: { httpProxy: gone.url, httpsProxy: null, noProxy: '' },
    });
    const failed = await unreachable.resendAi({ ...RESEND_BODY, keyId: keyId + 1, taskName: `proxied ${keyId + 1}` });
    expect(failed).toMatchObject({ kind: 'transport_error', errorCode: 'NETWORK', outcomeUnknown: false });
    expect((failed as { message: string }).message).toBe('The outbound proxy could not be reached (ECONNREFUSED)');
    unreachable.close();
  });

  describe("the call's deadline bounds the CONNECT and the TLS handshake through the tunnel", () => {
    const CALLS = 5;
    const TIMEOUT_MS = 500;

    /** `CALLS` resend calls at once through `proxyUrl` to `baseUrl`, each with a deadline of TIMEOUT_MS. */
    async function callsThrough(proxyUrl: string, baseUrl: string) {
      const client = new ItniotechClient({
        baseUrl,
        apiKey: TEST_API_KEY,
        apiSecret: TEST_API_SECRET,
        timeoutMs: TIMEOUT_MS,
        proxy: { httpsProxy: proxyUrl, httpProxy: null, noProxy: '' },
      });
      try {
        const startedAt = Date.now();
        const results = await Promise.all(
          Array.from({ length: CALLS }, (_, index) => client.resendAi({ ...RESEND_BODY, keyId: 900_000_000_100 + index })),
        );
        return { results, elapsedMs: Date.now() - startedAt };
      } finally {
        client.close();
      }
    }

    it('a proxy that takes the CONNECT and never answers: each call times out as not sent, and leaves no connection open at the proxy', async () => {
      const silent = await ConnectProxy.start();
      silent.mode = 'silent';
      try {
        const { results, elapsedMs } = await callsThrough(silent.url, front.url);
        for (const result of results) {
          expect(result).toMatchObject({ kind: 'transport_error', errorCode: 'TIMEOUT', outcomeUnknown: false });
          expect((result as { message: string }).message).toMatch(/while connecting/);
        }
        expect(elapsedMs).toBeLessThan(TIMEOUT_MS * 4);
        expect(silent.unansweredTunnels).toHaveLength(CALLS);
        await waitFor('the client to close its connections to the proxy', () => silent.openClientConnections === 0, 5_000, 50);
      } finally {
        await silent.close();
      }
    });

    it('a tunnel to a server that never completes the TLS handshake: each call times out as not sent, and the tunnel is closed', async () => {
      const mute = await MuteServer.start();
      const tunnels = await ConnectProxy.start();
      try {
        const { results } = await callsThrough(tunnels.url, `https://127.0.0.1:${mute.port}`);
        for (const result of results) {
          expect(result).toMatchObject({ kind: 'transport_error', errorCode: 'TIMEOUT', outcomeUnknown: false });
        }
        expect(tunnels.tunnels).toHaveLength(CALLS);
        await waitFor('the client to close its tunnels', () => tunnels.openClientConnections === 0, 5_000, 50);
      } finally {
        await tunnels.close();
        await mute.close();
      }
    });
  });

  describe('the service with HTTPS_PROXY (CONNECT tunnels)', () => {
    let service: ServiceProcess;
    let kafka: KafkaTestClient;
    let db: TestDatabase;

    beforeAll(async () => {
      service = await ServiceProcess.start('proxied', front.url, {
        HTTPS_PROXY: proxy.url,
        // The test CA, as an operator would add a private one; read by Node at process start.
        NODE_EXTRA_CA_CERTS: ca.certFile,
        KAFKA_GROUP_ID: 'resend-relay-proxied',
      });
      kafka = new KafkaTestClient(e2e.kafkaBrokers);
      await kafka.watch([TOPICS.completed]);
      db = new TestDatabase();
    });

    afterAll(async () => {
      await service?.stop();
      await kafka?.close();
      await db?.close();
    });

    const frontAddress = () => new URL(front.url).host;
    const attemptsOf = (requestId: string) =>
      db.rows(
        `SELECT a.kind, a.outcome, a.error_message FROM submission_attempt a JOIN resend_request r ON r.id = a.request_id
                WHERE r.request_id = $1 ORDER BY a.attempt_number, a.id`,
        [requestId],
      );

    it('submits through a tunnel the proxy counts', async () => {
      const tunnelsBefore = proxy.tunnels.length;
      const sent = sampleRequest();
      await kafka.sendJson(TOPICS.requested, sent);
      const [completed] = await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === sent.requestId);
      expect(completed!.json.resolvedByLookup).toBe(false);
      expect(proxy.tunnels.slice(tunnelsBefore)).toContain(frontAddress());
      expect(await simulator.tasksFor(sent.keyId)).toHaveLength(1);
    });

    it('takes a refused tunnel for a call that never reached the provider: retried, one task, no lookup', async () => {
      proxy.mode = 'refuse';
      proxy.dropConnections(); // pooled tunnels would otherwise be reused without a new CONNECT
      const sent = sampleRequest();
      await kafka.sendJson(TOPICS.requested, sent);
      await waitFor(
        'a refused attempt',
        async () => (await attemptsOf(sent.requestId)).some((attempt) => attempt.outcome === 'transport_error') || undefined,
      );
      expect(proxy.refusedTunnels).toContain(frontAddress());
      expect(await simulator.tasksFor(sent.keyId)).toHaveLength(0);

      proxy.mode = 'open';
      const [completed] = await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === sent.requestId);
      expect(completed!.json.resolvedByLookup).toBe(false);
      const attempts = await attemptsOf(sent.requestId);
      expect(attempts.filter((attempt) => attempt.kind === 'lookup')).toEqual([]);
      expect(attempts[0]!.error_message).toMatch(/^The outbound proxy refused the tunnel to .* \(HTTP 403\)/);
      expect(await simulator.tasksFor(sent.keyId)).toHaveLength(1);
    });

    it('takes a timeout once the tunnel is open for an unknown outcome, and resolves it by lookup', async () => {
      const sent = sampleRequest();
      // Longer than ITNIOTECH_TIMEOUT_MS (3 s in tests); the task is created before the delay.
      await simulator.addFault({ match: { keyId: sent.keyId }, times: 1, latencyMs: 5_000 });
      await kafka.sendJson(TOPICS.requested, sent);
      const [completed] = await kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === sent.requestId);
      expect(completed!.json.resolvedByLookup).toBe(true);
      expect(await simulator.tasksFor(sent.keyId)).toHaveLength(1);
      const attempts = await attemptsOf(sent.requestId);
      expect(attempts[0]).toMatchObject({ kind: 'submit', outcome: 'transport_error' });
      expect(attempts.some((attempt) => attempt.kind === 'lookup')).toBe(true);
    });
  });
});

/** A TCP server that reads what it is sent and never says anything: a TLS handshake with it never ends. */
class MuteServer {
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<MuteServer> {
    const server = createServer();
    const mute = new MuteServer(server);
    server.on('connection', (socket) => {
      mute.sockets.add(socket);
      // Read (and dropped), so that it sees the other end close and closes too.
      socket.resume();
      socket.on('error', () => undefined);
      socket.on('close', () => mute.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return mute;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
