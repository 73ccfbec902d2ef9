import { validateHeaderValue } from 'node:http';
import { performance } from 'node:perf_hooks';
import { endCallSpan, startCallSpan, type ProviderCallKind } from './call-span.js';
import { HttpExchange, type HttpExchangeResult } from './http-exchange.js';
import type { ProxySettings } from './outbound-proxy.js';
import type { ProviderCallResult } from './provider-call-result.js';
import { formatProviderDateTime } from './provider-date-time.js';
import { parseProviderEnvelope } from './provider-envelope.js';
import { interpretResendAiAnswer, isSuccessfulHttpStatus } from './resend-ai-response.js';
import type { ResendAiRequest } from './resend-ai-request.js';
import { maskSecrets, maskSecretsInResult } from './secret-masking.js';
import { buildSignedHeaders, toUnixSeconds } from './signing.js';
import type { LookupFailure, ProviderTask, TaskDetailResult, TaskLookupResult } from './task-lookup-result.js';
import { lookupProgress, readTask, readTaskPage } from './task-records.js';

export interface ItniotechClientOptions {
  /** For example `https://api.itniotech.com` (no `/v3`). */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Deadline for one whole attempt: connecting, sending and reading the answer. */
  timeoutMs: number;
  /** Current time in epoch milliseconds; the Timestamp header is taken from it. */
  clock?: () => number;
  /** Zone of the provider's `yyyy-MM-dd HH:mm:ss` times, minutes east of UTC (undocumented; default 0). */
  providerUtcOffsetMinutes?: number;
  /** The outbound (egress) proxy, if calls must go through one. */
  proxy?: ProxySettings | null;
}

export interface TimeRange {
  from: Date;
  to: Date;
}

const RESEND_AI_PATH = '/voice/group/call/resend/ai';
const QUERY_PATH = '/voice/group/call/query';
const DETAIL_PATH = '/voice/group/call/detail/';
const QUERY_PAGE_SIZE = 20;
/** The search may be a substring search: a bounded number of pages to find the exact name. */
const QUERY_MAX_PAGES = 10;
/** "Data unexisting": what the provider answers for an id or search it has nothing for. */
const DATA_UNEXISTING = '-24';

/**
 * Calls the Itniotech voice API. Each attempt is signed with a fresh timestamp. Provider and
 * network outcomes are returned as values, never thrown; the API secret and the Sign never
 * appear in what this class returns.
 */
export class ItniotechClient {
  readonly #baseUrl: URL;
  readonly #apiKey: string;
  // A private field, so that logging or serialising the client cannot reveal the secret.
  readonly #apiSecret: string;
  readonly #timeoutMs: number;
  readonly #clock: () => number;
  readonly #utcOffsetMinutes: number;
  readonly #http: HttpExchange;

  constructor(options: ItniotechClientOptions) {
    assertValidOptions(options);
    this.#baseUrl = new URL(options.baseUrl);
    this.#apiKey = options.apiKey;
    this.#apiSecret = options.apiSecret;
    this.#timeoutMs = options.timeoutMs;
    this.#clock = options.clock ?? Date.now;
    this.#utcOffsetMinutes = options.providerUtcOffsetMinutes ?? 0;
    this.#http = new HttpExchange(options.proxy ?? null);
  }

  /** `POST /voice/group/call/resend/ai`: asks the provider to create a new task from an existing one. */
  async resendAi(body: ResendAiRequest): Promise<ProviderCallResult> {
    const attempt = await this.#send('POST', RESEND_AI_PATH, 'submit', body);
    const result = interpretResendAiAnswer(attempt.exchange, { latencyMs: attempt.latencyMs, timestamp: attempt.timestamp });
    return maskSecretsInResult(result, this.#secretsOf(attempt));
  }

  /**
   * Tasks whose name is exactly `taskName`, created within `range` (`POST /voice/group/call/query`).
   * Used to learn whether an attempt with an unknown outcome created its task. `onQuery` is told of
   * every query sent (one per page), so that the caller can count them against its call budget.
   */
  async findTasksByName(taskName: string, range: TimeRange, onQuery: () => void = () => {}): Promise<TaskLookupResult> {
    const matches: ProviderTask[] = [];
    for (let page = 1; ; page += 1) {
      onQuery();
      const attempt = await this.#send('POST', QUERY_PATH, 'lookup', this.#queryBody(taskName, range, page));
      const answer = this.#readAnswer(attempt);
      // -24 on a later page: the pages before it held every record (and no match, or it would have stopped).
      if (answer.kind === 'failed') return answer.errorCode === DATA_UNEXISTING ? { kind: 'not_found' } : answer;
      const taskPage = readTaskPage(answer.data);
      if (taskPage === undefined) return badResponse('The query answer has no readable records');
      matches.push(...taskPage.tasks.filter((task) => task.taskName === taskName));
      const progress = lookupProgress(taskPage, page, matches.length, { pageSize: QUERY_PAGE_SIZE, maxPages: QUERY_MAX_PAGES });
      if (progress === 'found') return { kind: 'found', tasks: matches };
      if (progress === 'seen_all') return { kind: 'not_found' };
      if (progress === 'incomplete') return lookupIncomplete(taskName, taskPage.total);
    }
  }

  /** `GET /voice/group/call/detail/{id}`: one task and its status. */
  async getTaskDetail(id: number): Promise<TaskDetailResult> {
    const attempt = await this.#send('GET', `${DETAIL_PATH}${encodeURIComponent(String(id))}`, 'detail');
    const answer = this.#readAnswer(attempt);
    if (answer.kind === 'failed') return answer.errorCode === DATA_UNEXISTING ? { kind: 'not_found' } : answer;
    if (answer.data === null || answer.data === undefined) return { kind: 'not_found' };
    const task = readTask(answer.data);
    return task === undefined ? badResponse('The detail answer is not a readable task') : { kind: 'found', task };
  }

  /** Closes idle connections; call it when shutting down. */
  close(): void {
    this.#http.close();
  }

  /**
   * One signed attempt, in an HTTP client span (call-span.ts: never the Sign or the secret); the
   * timestamp is read from the clock every time, never reused.
   */
  async #send(method: 'GET' | 'POST', path: string, kind: ProviderCallKind, body?: unknown): Promise<Attempt> {
    const url = this.#urlFor(path);
    const span = startCallSpan(method, url, kind);
    const timestamp = toUnixSeconds(this.#clock());
    const headers = buildSignedHeaders({ apiKey: this.#apiKey, apiSecret: this.#apiSecret }, timestamp);
    const startedAt = performance.now();
    const exchange = await this.#http.send({
      method,
      url,
      headers: { ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: this.#timeoutMs,
    });
    endCallSpan(span, exchange, [this.#apiSecret, headers.Sign]);
    return { exchange, latencyMs: Math.round(performance.now() - startedAt), timestamp, sign: headers.Sign };
  }

  /** Keeps a path prefix of the base URL, which `new URL('/x', base)` would drop. */
  #urlFor(path: string): URL {
    const url = new URL(this.#baseUrl);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    return url;
  }

  /** The `data` of a successful answer, or why there is none (same codes as `classify`). */
  #readAnswer(attempt: Attempt): { kind: 'ok'; data: unknown } | LookupFailure {
    const { exchange } = attempt;
    const secrets = this.#secretsOf(attempt);
    if (exchange.kind === 'transport_error') return failure(exchange.errorCode, maskSecrets(exchange.message, secrets));
    if (!isSuccessfulHttpStatus(exchange.httpStatus)) {
      return failure(`HTTP_${exchange.httpStatus}`, `The provider answered HTTP ${exchange.httpStatus}`);
    }
    const envelope = parseProviderEnvelope(exchange.bodyText);
    if (envelope === undefined) return badResponse(`The provider answered HTTP ${exchange.httpStatus} with an unreadable body`);
    if (envelope.status !== '0') {
      return failure(envelope.status, maskSecrets(envelope.reason || `Provider status ${envelope.status}`, secrets));
    }
    return { kind: 'ok', data: envelope.data };
  }

  #secretsOf(attempt: Attempt): string[] {
    return [this.#apiSecret, attempt.sign];
  }

  #queryBody(taskName: string, range: TimeRange, page: number): object {
    return {
      current: page,
      size: QUERY_PAGE_SIZE,
      params: {
        strTime: formatProviderDateTime(range.from, this.#utcOffsetMinutes),
        endTime: formatProviderDateTime(range.to, this.#utcOffsetMinutes),
        searchCondition: taskName,
      },
    };
  }
}

interface Attempt {
  exchange: HttpExchangeResult;
  latencyMs: number;
  timestamp: number;
  sign: string;
}

function failure(errorCode: string, message: string): LookupFailure {
  return { kind: 'failed', errorCode, message };
}

function badResponse(message: string): LookupFailure {
  return { kind: 'failed', errorCode: 'BAD_RESPONSE', message };
}

/** The search matched more records than the lookup may read: whether the task exists is still unknown. */
function lookupIncomplete(taskName: string, total: number | undefined): LookupFailure {
  const matched = total === undefined ? 'more records than that' : `${total} records`;
  return failure(
    'LOOKUP_INCOMPLETE',
    `The query for task name "${taskName}" matched ${matched}; read ${QUERY_MAX_PAGES} pages of ${QUERY_PAGE_SIZE} without finding it`,
  );
}

function assertValidOptions(options: ItniotechClientOptions): void {
  if (!/^https?:\/\//.test(options.baseUrl)) throw new Error('ItniotechClient: baseUrl must be an http(s) URL');
  if (options.apiKey === '') throw new Error('ItniotechClient: apiKey must not be empty');
  // Checked here so that a bad key fails at start-up, not as an exception in the middle of a call.
  try {
    validateHeaderValue('Api-Key', options.apiKey);
  } catch {
    throw new Error('ItniotechClient: apiKey contains characters not allowed in an HTTP header');
  }
  if (options.apiSecret === '') throw new Error('ItniotechClient: apiSecret must not be empty');
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new Error('ItniotechClient: timeoutMs must be a positive number');
  }
}
