import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Parser, DiagnosticSeverity, fromFile } from '@asyncapi/parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLOUD_EVENT_HEADERS, REQUIRED_CLOUD_EVENT_HEADERS, TRACE_CONTEXT_HEADERS } from './headers/cloud-event-headers.js';
import { DEAD_LETTER_HEADERS, DEAD_LETTER_REASONS } from './headers/dead-letter-headers.js';
import { resendCompletedJsonSchema } from './schemas/resend-completed.schema.js';
import { resendFailedJsonSchema } from './schemas/resend-failed.schema.js';
import { resendRequestedJsonSchema } from './schemas/resend-requested.schema.js';
import { DEFAULT_TOPICS } from './topics.js';

const documentPath = fileURLToPath(new URL('../../../docs/asyncapi.yaml', import.meta.url));

/** The parser annotates schemas with x-parser-* keys; compare without them. */
function withoutParserKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutParserKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith('x-parser-'))
      .map(([key, inner]) => [key, withoutParserKeys(inner)]),
  );
}

// docs/asyncapi.yaml is the contract for other teams; this keeps it the one the service lives by.
describe('docs/asyncapi.yaml', () => {
  let document: NonNullable<Awaited<ReturnType<ReturnType<typeof fromFile>['parse']>>['document']>;

  beforeAll(async () => {
    const { document: parsed, diagnostics } = await fromFile(new Parser(), documentPath).parse();
    // The diagnostics' severity is the enum of the @stoplight/types that spectral-core pins (13.6),
    // DiagnosticSeverity the parser's own copy (13.20): the same numbers, two enum types.
    const errors = diagnostics.filter((diagnostic) => Number(diagnostic.severity) === Number(DiagnosticSeverity.Error));
    expect(errors.map((error) => `${error.path.join('.')}: ${error.message}`)).toEqual([]);
    document = parsed!;
  }, 30_000);

  it('is AsyncAPI 3.0 with one channel per topic', () => {
    expect(document.version()).toBe('3.0.0');
    expect(
      document
        .channels()
        .all()
        .map((channel) => channel.address())
        .sort(),
    ).toEqual(Object.values(DEFAULT_TOPICS).sort());
  });

  it.each([
    [DEFAULT_TOPICS.requested, resendRequestedJsonSchema],
    [DEFAULT_TOPICS.completed, resendCompletedJsonSchema],
    [DEFAULT_TOPICS.failed, resendFailedJsonSchema],
  ])('the payload of %s is the JSON Schema the service validates against', (topic, schema) => {
    const channel = document
      .channels()
      .all()
      .find((candidate) => candidate.address() === topic)!;
    const [message] = channel.messages().all();
    expect(withoutParserKeys(message!.payload()!.json())).toEqual(schema);
  });

  it('names every CloudEvents header the service writes, and requires the ones it always writes', () => {
    for (const topic of [DEFAULT_TOPICS.completed, DEFAULT_TOPICS.failed]) {
      const channel = document
        .channels()
        .all()
        .find((candidate) => candidate.address() === topic)!;
      const headers = channel.messages().all()[0]!.headers()!.json<{ properties: object; required: string[] }>();
      expect(Object.keys(headers.properties).sort()).toEqual(
        [...Object.values(CLOUD_EVENT_HEADERS), ...Object.values(TRACE_CONTEXT_HEADERS)].sort(),
      );
      expect([...headers.required].sort()).toEqual([...REQUIRED_CLOUD_EVENT_HEADERS].sort());
    }
  });

  it('names the trace context headers a request message may carry', () => {
    const channel = document
      .channels()
      .all()
      .find((candidate) => candidate.address() === DEFAULT_TOPICS.requested)!;
    const headers = channel.messages().all()[0]!.headers()!.json<{ properties: object; required?: string[] }>();
    expect(Object.keys(headers.properties).sort()).toEqual(Object.values(TRACE_CONTEXT_HEADERS).sort());
    expect(headers.required ?? []).toEqual([]);
  });

  it('names every dead-letter header and reason', () => {
    const channel = document
      .channels()
      .all()
      .find((candidate) => candidate.address() === DEFAULT_TOPICS.deadLetter)!;
    const headers = channel.messages().all()[0]!.headers()!.json<{
      properties: Record<string, { enum?: string[] }>;
      required: string[];
    }>();
    expect(Object.keys(headers.properties).sort()).toEqual(Object.values(DEAD_LETTER_HEADERS).sort());
    expect([...headers.required].sort()).toEqual(Object.values(DEAD_LETTER_HEADERS).sort());
    expect(headers.properties[DEAD_LETTER_HEADERS.reason]!.enum).toEqual([...DEAD_LETTER_REASONS]);
  });

  it('refers to the schema files rather than copying them', async () => {
    const text = await readFile(documentPath, 'utf8');
    for (const topic of [DEFAULT_TOPICS.requested, DEFAULT_TOPICS.completed, DEFAULT_TOPICS.failed]) {
      expect(text).toContain(`$ref: '../libs/contracts/schemas/${topic}.schema.json'`);
    }
  });
});
