import { seededRandom } from './seeded-random.js';
import { MAX_REQUEST_BYTES } from '#contracts';
import type { RawMessage } from './positioned-producer.js';

/**
 * A generator of hostile `campaign.resend.requested` messages for the poison-message fuzzer.
 * Everything comes from one seeded PRNG, so a failing run is reproduced with its seed
 * (FUZZ_SEED=<seed>); only the run id (which keeps ids unique in a shared database) differs.
 */

export const INJECTION_STRINGS = [
  "'; DROP TABLE resend_request; --",
  "' OR '1'='1",
  '1; DELETE FROM outbox_event WHERE true; --',
  "Robert'); DROP TABLE dead_letter;--",
  '$1::text); SELECT pg_sleep(10); --',
  "E'\\\\x00' || chr(0)",
  '<script>alert("xss")</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg/onload=alert(document.cookie)>',
  'javascript:alert(1)',
  '{{constructor.constructor("return process")().exit(1)}}',
  '${process.exit(1)}',
  '__proto__',
  '{"__proto__": {"polluted": true}}',
  '../../../../etc/passwd',
  '%s%s%s%n%n%n',
  '\r\nSet-Cookie: injected=1',
  '\u202e\u0645\u0631\u062d\u0628\u0627 RTL override',
  'Zalgo t\u0337\u0321e\u0335\u0322x\u0334\u031bt',
  '😀👍🏽🇩🇪 emoji ﷽',
];

export type BadKind =
  | 'random_bytes'
  | 'invalid_utf8'
  | 'random_json'
  | 'not_an_object'
  | 'wrong_types'
  | 'missing_fields'
  | 'huge_string'
  | 'too_large'
  | 'deep_nesting'
  | 'injection'
  | 'nul_in_string'
  | 'lone_surrogate'
  | 'tombstone'
  | 'no_usable_key_id'
  | 'hostile_headers';

const BAD_KINDS: BadKind[] = [
  'random_bytes',
  'invalid_utf8',
  'random_json',
  'not_an_object',
  'wrong_types',
  'missing_fields',
  'huge_string',
  'too_large',
  'deep_nesting',
  'injection',
  'nul_in_string',
  'lone_surrogate',
  'tombstone',
  'no_usable_key_id',
  'hostile_headers',
];

export interface FuzzMessage extends RawMessage {
  kind: BadKind | 'good';
}

export interface GoodMessage extends FuzzMessage {
  kind: 'good';
  requestId: string;
  keyId: number;
  /** The taskName as the provider must receive it (trimmed). */
  taskName: string;
}

/** Wrong values per field: each one breaks that field's rule (docs/validation.md). */
const WRONG_VALUES: Record<string, unknown[]> = {
  keyId: ['123', -1, 0, 1.5, null, true, [], {}, 1e300, 2 ** 53, '١٢٣'],
  taskName: [1, 'a', ' ', 'x'.repeat(65), null, [], { name: 'x' }, false],
  resendType: [2, '1', null, -1, 0.5, []],
  scriptId: ['1', 0, -5, 1.2, null, {}],
  displayNum: [123, 'abc', '1'.repeat(21), '+', '12-34'],
  sendTime: ['tomorrow', 123, '2024-13-01 00:00:00', '2024-02-30 10:00:00', [], '10:00'],
  maxCalls: [0, '40', -3, 1.5],
  allowSendTime: ['10:00-22:00', [], [{ strTime: '25:00', endTime: '22:00' }], [{}], [1, 2], {}],
  maxRingingTime: [19, 121, '60', 60.5],
  enableRecording: [2, true, '1'],
  calloutRate: [0, '2', -1],
  requestId: [123, '', '   ', 'r'.repeat(201), {}, []],
  correlationId: [5, {}, [], 'c'.repeat(201)],
};

export class PoisonFuzzer {
  readonly random: () => number;
  private goodCount = 0;
  private badCount = 0;

  constructor(
    readonly seed: number,
    /** Makes requestIds, keyIds and task names unique in a database shared with other runs. */
    private readonly runId: string,
    private readonly keyIdBase: number,
  ) {
    this.random = seededRandom(seed);
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.random() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  bytes(length: number): Buffer {
    const buffer = Buffer.alloc(length);
    for (let index = 0; index < length; index += 1) buffer[index] = this.int(0, 255);
    return buffer;
  }

  /** Text from a mixed alphabet: ASCII, quotes and backslashes, accents, CJK, emoji. */
  text(length: number): string {
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      '"',
      "'",
      '\\',
      '/',
      '{',
      '}',
      '[',
      ']',
      ':',
      ',',
      'é',
      'ß',
      '中',
      '文',
      '😀',
      '\t',
      '\n',
      '%',
      '$',
      ';',
      '-',
    ];
    let result = '';
    for (let index = 0; index < length; index += 1) result += this.pick(alphabet);
    return result;
  }

  partition(): number {
    return this.int(0, 2);
  }

  /** A valid request; its taskName sometimes carries injection strings or unicode (stored and sent verbatim). */
  good(): GoodMessage {
    const index = this.goodCount++;
    const keyId = this.keyIdBase + index;
    const requestId = `fuzz-${this.runId}-good-${index}`;
    const flavour = this.pick([`fuzz ${this.runId} ${index}`, `${this.pick(INJECTION_STRINGS)}`, `${this.text(this.int(2, 20))}`]);
    // Unique per provider account, at most 64 characters, at least 2 after trimming.
    const taskName = `${Array.from(flavour).slice(0, 40).join('')} #${this.runId}-${index}`.trim();
    const body: Record<string, unknown> = {
      requestId,
      keyId,
      taskName: this.chance(0.2) ? `  ${taskName}  ` : taskName,
      resendType: this.int(0, 1),
      scriptId: this.int(1, 1000),
    };
    if (this.chance(0.5)) body.correlationId = this.chance(0.5) ? null : `corr-${this.text(8)}`;
    if (this.chance(0.5)) body.displayNum = `${this.chance(0.3) ? '+' : ''}${this.int(1, 99_999_999_999)}`;
    if (this.chance(0.5)) body.sendTime = null;
    if (this.chance(0.5)) body.maxCalls = this.int(1, 600);
    if (this.chance(0.5))
      body.allowSendTime = [
        { strTime: '08:00', endTime: '12:00' },
        { strTime: '13:00', endTime: '21:30' },
      ].slice(0, this.int(1, 2));
    if (this.chance(0.5)) body.maxRingingTime = this.int(20, 120);
    if (this.chance(0.5)) body.enableRecording = this.int(0, 1);
    if (this.chance(0.3)) body.calloutRate = this.int(1, 5);
    if (this.chance(0.3)) body[this.pick(['extra', 'note', 'x-unknown'])] = this.pick(INJECTION_STRINGS);
    return {
      kind: 'good',
      requestId,
      keyId,
      taskName,
      key: this.chance(0.7) ? String(keyId) : null,
      value: JSON.stringify(body),
      headers: this.chance(0.3)
        ? { 'x-fuzz': 'good', traceparent: `00-${this.bytes(16).toString('hex')}-${this.bytes(8).toString('hex')}-01` }
        : undefined,
      partition: this.partition(),
    };
  }

  /** A message that must end as a dead letter or a failed request, never as a provider call. */
  bad(kind: BadKind = this.pick(BAD_KINDS)): FuzzMessage {
    const index = this.badCount++;
    const message: FuzzMessage = { kind, key: this.badKey(), value: null, headers: this.badHeaders(kind), partition: this.partition() };
    message.value = this.badValue(kind, index);
    return message;
  }

  /** A valid-looking request base for the kinds that break one part of it. */
  private base(index: number): Record<string, unknown> {
    return {
      requestId: `fuzz-${this.runId}-bad-${index}`,
      keyId: this.keyIdBase + 1_000_000 + index,
      taskName: `fuzz bad ${this.runId} ${index}`,
      resendType: 1,
      scriptId: 1,
      allowSendTime: [{ strTime: '10:00', endTime: '22:00' }],
    };
  }

  private badValue(kind: BadKind, index: number): Buffer | string | null {
    switch (kind) {
      case 'random_bytes':
        return this.bytes(this.int(1, 300));
      case 'invalid_utf8': {
        const json = Buffer.from(JSON.stringify(this.base(index)));
        const at = this.int(1, json.length - 2);
        return Buffer.concat([json.subarray(0, at), Buffer.from([this.pick([0xff, 0xfe, 0xc0, 0x80, 0xed])]), json.subarray(at)]);
      }
      case 'random_json': {
        const value = this.randomJson(4, false);
        // A usable requestId shared by two random messages would make the second a redelivery: keep it unique.
        if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'requestId' in value) {
          (value as Record<string, unknown>).requestId = `fuzz-${this.runId}-bad-${index}`;
        }
        return JSON.stringify(value);
      }
      case 'not_an_object':
        return JSON.stringify(this.pick<unknown>([[1, 2, 3], 'a string', 42, true, null, [this.base(index)], -0.5]));
      case 'wrong_types': {
        const body = this.base(index);
        const fields = Object.keys(WRONG_VALUES);
        for (let count = this.int(1, 3); count > 0; count -= 1) {
          const field = this.pick(fields);
          body[field] = this.pick(WRONG_VALUES[field]!);
        }
        // requestId and correlationId alone may be wrong without breaking a required field: break one more.
        body[this.pick(['keyId', 'taskName', 'resendType', 'scriptId'])] = null;
        return JSON.stringify(body);
      }
      case 'missing_fields': {
        const body = this.base(index);
        for (const field of ['keyId', 'taskName', 'resendType', 'scriptId']) if (this.chance(0.5)) delete body[field];
        delete body[this.pick(['taskName', 'resendType', 'scriptId'])];
        return JSON.stringify(body);
      }
      case 'huge_string': {
        // Under the size limit, over every field limit: refused by validation, stored verbatim.
        const body = this.base(index);
        const field = this.pick(['taskName', 'displayNum', 'requestId', 'correlationId', 'extra']);
        body[field] = this.text(this.int(2_000, 12_000));
        // Over the 64-character limit even after trimming: text() may begin or end with spaces.
        if (field === 'extra') body.taskName = `x${this.text(this.int(65, 2_000))}x`;
        return JSON.stringify(body);
      }
      case 'too_large': {
        const body = this.base(index);
        body.taskName = 'x'.repeat(MAX_REQUEST_BYTES + this.int(1, 100_000));
        return JSON.stringify(body);
      }
      case 'deep_nesting': {
        const depth = this.int(200, 20_000);
        const open = this.chance(0.5) ? '[' : '{"a":';
        const close = open === '[' ? ']' : '}';
        const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
        if (nested.length > MAX_REQUEST_BYTES - 200) return nested.slice(0, MAX_REQUEST_BYTES + 10);
        return this.chance(0.3) ? nested : `{"keyId":"deep","taskName":"fuzz deep ${index}","nested":${nested}}`;
      }
      case 'injection': {
        // Every field an injection string: the keyId cannot be used, so it is refused and dead-lettered too.
        const body: Record<string, unknown> = {};
        for (const field of [...Object.keys(WRONG_VALUES), this.pick(INJECTION_STRINGS)]) body[field] = this.pick(INJECTION_STRINGS);
        body.requestId = `fuzz-${this.runId}-bad-${index} ${this.pick(INJECTION_STRINGS)}`;
        return JSON.stringify(body);
      }
      case 'nul_in_string': {
        const body = this.base(index);
        const field = this.pick(['taskName', 'displayNum', 'correlationId', 'extra', 'requestId']);
        body[field] = `${this.text(this.int(0, 10))}\u0000${this.text(this.int(0, 10))}`;
        if (field === 'requestId') body.taskName = 'x';
        return JSON.stringify(body);
      }
      case 'lone_surrogate': {
        const body = this.base(index);
        body[this.pick(['taskName', 'extra', 'correlationId'])] =
          `${this.text(3)}${this.pick(['\ud800', '\udfff', '\udbff'])}${this.text(3)}`;
        body.scriptId = 'one'; // refused in any case, so that it is never sent
        return JSON.stringify(body);
      }
      case 'tombstone':
        return null;
      case 'no_usable_key_id': {
        const body = this.base(index);
        body.keyId = this.pick(WRONG_VALUES.keyId!);
        if (this.chance(0.3)) delete body.keyId;
        return JSON.stringify(body);
      }
      case 'hostile_headers':
        return this.chance(0.5) ? `not json ${this.text(20)}` : JSON.stringify({ ...this.base(index), keyId: -1 });
    }
  }

  private badKey(): Buffer | string | null {
    return this.pick<() => Buffer | string | null>([
      () => null,
      () => `key-${this.int(0, 1000)}`,
      () => this.pick(INJECTION_STRINGS),
      () => this.bytes(this.int(1, 16)),
      () => '{"looks": "like json"}',
    ])();
  }

  private badHeaders(kind: BadKind): Record<string, string | Buffer> | undefined {
    if (kind === 'hostile_headers') {
      return {
        'x-injection': this.pick(INJECTION_STRINGS),
        'x-binary': this.bytes(this.int(1, 32)),
        'x-nul': `before\u0000after`,
        'x-json': '{"spaced": [1, 2,   3]}',
        'content-type': 'application/json',
        ce_id: 'not-a-real-event',
        [`x-${this.text(3)}`]: this.text(10),
      };
    }
    if (!this.chance(0.3)) return undefined;
    return { 'x-fuzz': kind, 'x-text': this.text(this.int(0, 30)) };
  }

  private randomJson(depth: number, mustBeObject: boolean): unknown {
    const kinds = depth <= 0 ? ['number', 'string', 'bool', 'null'] : ['number', 'string', 'bool', 'null', 'array', 'object', 'object'];
    const kind = mustBeObject ? 'object' : this.pick(kinds);
    switch (kind) {
      case 'number':
        return this.pick([0, 1, -1, 3.14, 1e21, 2 ** 53 + 2, this.int(-1e9, 1e9)]);
      case 'string':
        return this.text(this.int(0, 30));
      case 'bool':
        return this.chance(0.5);
      case 'null':
        return null;
      case 'array':
        return Array.from({ length: this.int(0, 5) }, () => this.randomJson(depth - 1, false));
      default: {
        const object: Record<string, unknown> = {};
        for (let count = this.int(0, 6); count > 0; count -= 1) {
          object[this.pick(['keyId', 'taskName', 'scriptId', 'resendType', this.text(5), 'requestId'])] = this.randomJson(depth - 1, false);
        }
        // A random object must not turn into a valid request by chance: its scriptId is never valid.
        object.scriptId = 'never valid';
        return object;
      }
    }
  }
}
