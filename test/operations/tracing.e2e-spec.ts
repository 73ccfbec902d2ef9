import { randomBytes } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { readCloudEvent } from '#contracts';
import { signRequest } from '#itniotech';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../apps/resend-service/src/config/app-config.js';
import { startTracing, type Tracing } from '../../apps/resend-service/src/tracing/tracing.js';
import { TestDatabase } from '../support/database.js';
import { startFlow, type FlowFixture } from '../support/flow-fixture.js';
import { KafkaTestClient, type ReceivedMessage } from '../support/kafka-test-client.js';
import { freePort } from '../support/free-port.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { sampleRequest } from '../support/requests.js';
import { TEST_API_KEY, TEST_API_SECRET, testServiceEnvironment } from '../support/service-harness.js';
import { ServiceProcess } from '../support/service-process.js';
import { RunningSimulator } from '../support/simulator-harness.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

const RESEND_AI_PATH = '/voice/group/call/resend/ai';
const OPERATOR_TOKEN = 'tracing-e2e-operator-token';

function randomTraceParent() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceParent: `00-${traceId}-${spanId}-01` };
}

/** Every Sign the service computed for a request's calls (from the attempts' Timestamp headers). */
async function signsOf(db: TestDatabase, requestId: string): Promise<string[]> {
  const rows = await db.rows<{ sign_timestamp: string }>(
    `SELECT a.sign_timestamp::text AS sign_timestamp FROM submission_attempt a JOIN resend_request r ON r.id = a.request_id
      WHERE r.request_id = $1 AND a.sign_timestamp IS NOT NULL`,
    [requestId],
  );
  expect(rows.length).toBeGreaterThan(0);
  return rows.map((row) => signRequest(TEST_API_KEY, TEST_API_SECRET, Number(row.sign_timestamp)));
}

/**
 * The span tree of a request. In-process: the service runs in this process with the SDK that
 * main.ts starts, exporting to an InMemorySpanExporter. As processes: the built service, turned on
 * by OTEL_EXPORTER_OTLP_ENDPOINT alone, exports OTLP/HTTP JSON to a receiver in this test, and an
 * instance that did not record a request continues its trace from the database.
 */
describe('tracing: the span tree of one request (in-process, in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let flow: FlowFixture;

  beforeAll(async () => {
    const settings = loadConfig({ ...testServiceEnvironment('http://127.0.0.1:1'), OTEL_SERVICE_NAME: 'resend-relay-e2e' }).tracing;
    tracing = startTracing(settings, 'tracing-e2e', { exporter, processor: 'simple' });
    flow = await startFlow({ service: { OPERATOR_API_TOKENS: OPERATOR_TOKEN } });
  });

  afterAll(async () => {
    await flow?.close();
    await tracing?.shutdown();
  });

  const finished = () => exporter.getFinishedSpans();
  const spanId = (span: ReadableSpan) => span.spanContext().spanId;
  const traceId = (span: ReadableSpan) => span.spanContext().traceId;

  /** Waits for the whole tree of the request: recorded, one call, its outcome published. */
  async function treeOf(requestId: string) {
    return waitFor(`the spans of ${requestId}`, () => {
      const record = finished().find((span) => span.name === 'resend.record' && span.attributes['resend.request_id'] === requestId);
      if (!record) return undefined;
      const inTrace = finished().filter((span) => traceId(span) === traceId(record));
      const submit = inTrace.find((span) => span.name === 'resend.submit' && span.attributes['resend.request_id'] === requestId);
      const calls = inTrace.filter((span) => span.name === 'POST' && span.parentSpanContext?.spanId === (submit && spanId(submit)));
      const send = inTrace.find((span) => span.name === `send ${TOPICS.completed}` && span.attributes['resend.request_id'] === requestId);
      return submit && calls.length > 0 && send ? { record, submit, calls, send, inTrace } : undefined;
    });
  }

  async function completedEventOf(requestId: string): Promise<ReceivedMessage> {
    const [event] = await flow.kafka.waitForMessages(TOPICS.completed, (message) => message.json?.requestId === requestId);
    return event!;
  }

  function expectNoSecretIn(spans: ReadableSpan[], signs: string[]) {
    const text = JSON.stringify(
      spans.map((span) => ({ name: span.name, attributes: span.attributes, status: span.status, events: span.events, links: span.links })),
    );
    expect(text).not.toContain(TEST_API_SECRET);
    expect(text).not.toContain(TEST_API_KEY);
    for (const sign of signs) expect(text).not.toContain(sign);
    for (const span of spans) expect(Object.keys(span.attributes).filter((name) => /header|sign|secret/i.test(name))).toEqual([]);
  }

  it('records, calls and publishes in one trace: record → submit → POST, send; the event and the row carry it', async () => {
    const sent = sampleRequest();
    await flow.kafka.sendJson(TOPICS.requested, sent);
    const event = await completedEventOf(sent.requestId);
    const { record, submit, calls, send, inTrace } = await treeOf(sent.requestId);

    // A message without traceparent starts a trace; every span of the request is in it.
    expect(record.parentSpanContext).toBeUndefined();
    expect(record.kind).toBe(SpanKind.CONSUMER);
    expect(record.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': TOPICS.requested,
      'messaging.consumer.group.name': flow.service.config.kafka.groupId,
      'resend.request_id': sent.requestId,
      'resend.key_id': sent.keyId,
      'resend.intake.decision': 'pending',
    });
    expect(typeof record.attributes['messaging.kafka.offset']).toBe('number');

    expect(submit.parentSpanContext?.spanId).toBe(spanId(record));
    expect(submit.attributes).toMatchObject({ 'resend.step': 'complete', 'resend.attempt': 1, 'resend.key_id': sent.keyId });

    expect(calls).toHaveLength(1);
    const [call] = calls;
    const provider = new URL(flow.simulator.url);
    expect(call!.kind).toBe(SpanKind.CLIENT);
    expect(call!.instrumentationScope.name).toBe('itniotech-client');
    expect(call!.attributes).toEqual({
      'http.request.method': 'POST',
      'url.full': `${provider.origin}${RESEND_AI_PATH}`,
      'server.address': provider.hostname,
      'server.port': Number(provider.port),
      'http.response.status_code': 200,
      'itniotech.call.kind': 'submit',
      'itniotech.status': '0',
    });

    expect(send.parentSpanContext?.spanId).toBe(spanId(submit));
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': TOPICS.completed,
      'messaging.message.id': event.headers.ce_id,
      'messaging.kafka.message.key': String(sent.keyId),
    });
    for (const span of [record, submit, call!, send]) expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(new Set(inTrace.map((span) => span.resource.attributes['service.name']))).toEqual(new Set(['resend-relay-e2e']));

    // The outcome event continues the trace from the span that decided it, in both header forms,
    // next to the CloudEvents headers it always had.
    const decidedBy = `00-${traceId(record)}-${spanId(submit)}-01`;
    expect(event.headers).toMatchObject({ traceparent: decidedBy, ce_traceparent: decidedBy, ce_type: TOPICS.completed });
    expect(readCloudEvent({ key: event.key, value: event.value, headers: event.headers })).toMatchObject({
      id: event.headers.ce_id,
      traceparent: decidedBy,
    });
    // The request row keeps the context of the span that recorded it: whoever claims it continues there.
    const row = await flow.db.one(`SELECT trace_parent, trace_state FROM resend_request WHERE request_id = $1`, [sent.requestId]);
    expect(row).toEqual({ trace_parent: `00-${traceId(record)}-${spanId(record)}-01`, trace_state: null });
    // The operator API shows it: the trace id leads from a request to its trace.
    const detail = await request(flow.service.url)
      .get(`/requests/${encodeURIComponent(sent.requestId)}`)
      .set('Authorization', `Bearer ${OPERATOR_TOKEN}`)
      .expect(200);
    expect(detail.body.request.traceParent).toBe(row!.trace_parent);

    expectNoSecretIn(finished(), await signsOf(flow.db, sent.requestId));
  });

  it("continues the traceparent the request message carried: same trace id, the record span's parent is that span", async () => {
    const upstream = randomTraceParent();
    const sent = sampleRequest();
    await flow.kafka.send(TOPICS.requested, [
      { key: String(sent.keyId), value: JSON.stringify(sent), headers: { traceparent: upstream.traceParent, tracestate: 'upstream=1' } },
    ]);
    const event = await completedEventOf(sent.requestId);
    const { record, submit, send } = await treeOf(sent.requestId);

    expect(traceId(record)).toBe(upstream.traceId);
    expect(record.parentSpanContext).toMatchObject({ traceId: upstream.traceId, spanId: upstream.spanId, isRemote: true });
    expect(traceId(submit)).toBe(upstream.traceId);
    expect(traceId(send)).toBe(upstream.traceId);
    expect(event.headers.traceparent).toBe(`00-${upstream.traceId}-${spanId(submit)}-01`);
    expect(event.headers.ce_traceparent).toBe(event.headers.traceparent);
    // The vendor state travels with it.
    expect(event.headers).toMatchObject({ tracestate: 'upstream=1', ce_tracestate: 'upstream=1' });
    expectNoSecretIn(finished(), await signsOf(flow.db, sent.requestId));
  });

  it('ignores a malformed traceparent: the request completes in a trace of its own', async () => {
    const sent = sampleRequest();
    await flow.kafka.send(TOPICS.requested, [
      { key: String(sent.keyId), value: JSON.stringify(sent), headers: { traceparent: '00-not-a-trace-01', ce_traceparent: 'garbage' } },
    ]);
    const event = await completedEventOf(sent.requestId);
    const { record, submit } = await treeOf(sent.requestId);
    expect(record.parentSpanContext).toBeUndefined();
    expect(event.headers.traceparent).toBe(`00-${traceId(record)}-${spanId(submit)}-01`);
  });

  it("puts a refused request's failed event and its record span in the message's trace", async () => {
    const upstream = randomTraceParent();
    const sent = sampleRequest({ taskName: 'x' });
    await flow.kafka.send(TOPICS.requested, [
      { key: String(sent.keyId), value: JSON.stringify(sent), headers: { traceparent: upstream.traceParent } },
    ]);
    const [failed] = await flow.kafka.waitForMessages(TOPICS.failed, (message) => message.json?.requestId === sent.requestId);
    const record = await waitFor('the record span', () =>
      finished().find((span) => span.name === 'resend.record' && span.attributes['resend.request_id'] === sent.requestId),
    );
    expect(record.attributes['resend.intake.decision']).toBe('invalid');
    expect(record.parentSpanContext?.spanId).toBe(upstream.spanId);
    expect(failed!.headers.traceparent).toBe(`00-${upstream.traceId}-${spanId(record)}-01`);
    await waitFor("the failed event's send span", () =>
      finished().find((span) => span.name === `send ${TOPICS.failed}` && span.parentSpanContext?.spanId === spanId(record)),
    );
  });
});

describe('tracing: OTEL_ variables, OTLP over HTTP, a trace continued by another instance (processes)', () => {
  let simulator: RunningSimulator;
  let receiver: OtlpReceiver;
  let kafka: KafkaTestClient;
  let db: TestDatabase;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    simulator = await RunningSimulator.start();
    receiver = await OtlpReceiver.start();
    kafka = new KafkaTestClient(e2e.kafkaBrokers);
    await kafka.watch([TOPICS.completed]);
    db = new TestDatabase();
  });

  afterAll(async () => {
    await Promise.all(running.map((instance) => instance.stop()));
    await kafka?.close();
    await simulator?.close();
    await receiver?.close();
    await db?.close();
  });

  function start(name: string, env: Record<string, string>) {
    return ServiceProcess.start(name, simulator.url, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'resend-relay-e2e',
      // Exported within a fraction of a second instead of the default 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...env,
    }).then((instance) => {
      running.push(instance);
      return instance;
    });
  }

  it('an instance that picks the request up later continues the trace stored with it; its log lines carry the trace id', async () => {
    // Instance A only records (no worker): the request waits in the database.
    const recorder = await start('trace-a', { SUBMISSION_ENABLED: 'false' });
    expect(recorder.log).toMatch(
      /tracing on \(OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT set\): service resend-relay-e2e, OTLP http\/json/,
    );
    const upstream = randomTraceParent();
    const sent = sampleRequest();
    await kafka.send(TOPICS.requested, [
      { key: String(sent.keyId), value: JSON.stringify(sent), headers: { traceparent: upstream.traceParent } },
    ]);
    const record = await waitFor('the record span from trace-a', () =>
      receiver.spansOf(upstream.traceId).find((span) => span.name === 'resend.record'),
    );
    expect(record).toMatchObject({ parentSpanId: upstream.spanId, kind: 5 });
    expect(record.resource).toMatchObject({ 'service.name': 'resend-relay-e2e', 'service.instance.id': 'trace-a' });
    const row = await db.one(`SELECT status, trace_parent FROM resend_request WHERE request_id = $1`, [sent.requestId]);
    expect(row).toEqual({ status: 'pending', trace_parent: `00-${upstream.traceId}-${record.spanId}-01` });
    expect(await recorder.stop()).toBe(0);

    // Instance B never saw the message: it claims the request and continues from the row.
    const submitter = await start('trace-b', {});
    const [event] = await kafka.waitForMessages(TOPICS.completed, (message) => message.json?.requestId === sent.requestId);
    const spans = await waitFor('the spans of trace-b', () => {
      const inTrace = receiver.spansOf(upstream.traceId);
      const submit = inTrace.find((span) => span.name === 'resend.submit');
      const call = inTrace.find((span) => span.name === 'POST');
      const send = inTrace.find((span) => span.name === `send ${TOPICS.completed}`);
      return submit && call && send ? { submit, call, send } : undefined;
    });
    expect(spans.submit).toMatchObject({ parentSpanId: record.spanId, resource: { 'service.instance.id': 'trace-b' } });
    expect(spans.call).toMatchObject({
      parentSpanId: spans.submit.spanId,
      kind: 3,
      attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200, 'itniotech.status': '0' },
    });
    expect(spans.send.parentSpanId).toBe(spans.submit.spanId);
    expect(event!.headers.traceparent).toBe(`00-${upstream.traceId}-${spans.submit.spanId}-01`);
    expect(event!.headers.ce_traceparent).toBe(event!.headers.traceparent);

    // Its log lines about the request carry the request's fields and the trace's ids.
    const line = await waitFor('the log line of the call', () =>
      submitter.log
        .split('\n')
        .filter((text) => text.startsWith('{'))
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((entry) => entry.requestId === sent.requestId && /provider created task/.test(String(entry.msg))),
    );
    expect(line).toMatchObject({ keyId: sent.keyId, trace_id: upstream.traceId, span_id: spans.submit.spanId });

    // Nothing that was exported names the secret, the API key or a Sign.
    const exported = receiver.bodies.join('\n');
    expect(exported).not.toContain(TEST_API_SECRET);
    expect(exported).not.toContain(TEST_API_KEY);
    for (const sign of await signsOf(db, sent.requestId)) expect(exported).not.toContain(sign);
  }, 240_000);

  it('with the collector down, requests complete and the process stops in time: failed exports are OpenTelemetry warnings', async () => {
    // Alone in the group: an instance of an earlier test still running could take the request's
    // partition, and this one would then have no span to export.
    await Promise.all(running.splice(0).map((earlier) => earlier.stop()));
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const instance = await start('trace-collector-down', { OTEL_EXPORTER_OTLP_ENDPOINT: nobody });
    const sent = sampleRequest();
    await kafka.sendJson(TOPICS.requested, sent);
    await kafka.waitForMessages(TOPICS.completed, (message) => message.json?.requestId === sent.requestId, 1, 60_000);
    // The exporter retries a refused connection with backoff until its 10 s timeout before it reports.
    await instance.waitForOutput(/"context":"OpenTelemetry"/, 60_000);
    const otelLines = instance.log.split('\n').filter((line) => line.includes('"context":"OpenTelemetry"'));
    expect(otelLines.map((line) => (JSON.parse(line) as { level: number }).level)).not.toContain(50);
    // Shutdown exports what is still buffered; an unreachable collector does not hold it up.
    const stopAt = Date.now();
    expect(await instance.stop()).toBe(0);
    expect(Date.now() - stopAt, 'time to exit after SIGTERM (ms)').toBeLessThan(15_000);
  }, 120_000);

  it("with tracing off (no OTEL_ variable), passes the message's own traceparent on to the outcome event unchanged", async () => {
    await Promise.all(running.splice(0).map((instance) => instance.stop()));
    const plain = await ServiceProcess.start('trace-off', simulator.url);
    running.push(plain);
    expect(plain.log).toContain(
      'tracing off (none of OTEL_SERVICE_NAME, OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set)',
    );
    const upstream = randomTraceParent();
    const sent = sampleRequest();
    await kafka.send(TOPICS.requested, [
      { key: String(sent.keyId), value: JSON.stringify(sent), headers: { traceparent: upstream.traceParent, tracestate: 'upstream=1' } },
    ]);
    const [event] = await kafka.waitForMessages(TOPICS.completed, (message) => message.json?.requestId === sent.requestId);
    expect(event!.headers).toMatchObject({
      traceparent: upstream.traceParent,
      ce_traceparent: upstream.traceParent,
      tracestate: 'upstream=1',
      ce_tracestate: 'upstream=1',
    });
    expect(receiver.spansOf(upstream.traceId)).toEqual([]);
    expect(plain.log).not.toMatch(/"trace_id"/);
  }, 120_000);
});
