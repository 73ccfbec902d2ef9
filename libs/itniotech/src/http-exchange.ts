import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { storableText } from './provider-text.js';
import {
  forwardedRequestOptions,
  proxyFor,
  proxyUnreachable,
  TunnelingAgent,
  type ProxySettings,
  type TunnelRequestOptions,
} from './outbound-proxy.js';
import { describeTimeout, describeTransportError, type TransportFailure } from './transport-error.js';

export interface HttpExchangeRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export type HttpExchangeResult = { kind: 'response'; httpStatus: number; bodyText: string } | TransportFailure;

/** Provider answers are small; anything bigger is not one of them and is cut here. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * One HTTP request/answer with a hard deadline, over node:http rather than fetch because we need
 * to know whether the connection was established when something failed: that decides whether
 * the provider may have received the request ("outcome unknown"). Never rejects.
 *
 * Through an outbound proxy (`proxy`), "connected" keeps that meaning as far as it can be known:
 * for https targets, once the CONNECT tunnel is open and TLS with the provider is established
 * (TunnelingAgent); for http targets the proxy forwards the request itself, so once the
 * connection to the proxy is up the request may reach the provider.
 */
export class HttpExchange {
  readonly #httpAgent = new http.Agent({ keepAlive: true });
  readonly #httpsAgent = new https.Agent({ keepAlive: true });
  readonly #tunnels = new Map<string, TunnelingAgent>();

  constructor(private readonly proxy: ProxySettings | null = null) {}

  send(request: HttpExchangeRequest): Promise<HttpExchangeResult> {
    return new Promise((resolve) => {
      let connected = false;
      let settled = false;
      const finish = (result: HttpExchangeResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(result);
      };

      // Ends a CONNECT tunnel still being opened, which destroying the request cannot reach.
      const abandoned = new AbortController();
      const clientRequest = this.#open(request, abandoned.signal);
      const deadline = setTimeout(() => {
        finish(describeTimeout(request.timeoutMs, connected));
        clientRequest.destroy();
        abandoned.abort();
      }, request.timeoutMs);

      clientRequest.on('socket', (socket: Socket) => {
        whenConnected(socket, () => (connected = true));
      });
      clientRequest.on('response', (response) => {
        readBody(response).then(
          (bodyText) => finish({ kind: 'response', httpStatus: response.statusCode ?? 0, bodyText }),
          (error: unknown) => finish(describeTransportError(error, true)),
        );
      });
      clientRequest.on('error', (error) => finish(describeTransportError(this.#explain(error, request.url, connected), connected)));
      clientRequest.end(request.body);
    });
  }

  /** Closes idle keep-alive connections so the process can exit. */
  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
    for (const tunnel of this.#tunnels.values()) tunnel.destroy();
  }

  #open(request: HttpExchangeRequest, abandoned: AbortSignal): http.ClientRequest {
    const headers: Record<string, string> = Object.assign({}, request.headers);
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    const proxy = this.proxy ? proxyFor(request.url, this.proxy) : null;
    if (proxy && request.url.protocol === 'https:') {
      const options: TunnelRequestOptions = { method: request.method, headers, agent: this.#tunnelThrough(proxy), deadline: abandoned };
      return https.request(request.url, options);
    }
    if (proxy) {
      const forward = forwardedRequestOptions(request.url, proxy);
      return http.request({ ...forward, method: request.method, headers: { ...headers, ...forward.headers }, agent: this.#httpAgent });
    }
    return request.url.protocol === 'https:'
      ? https.request(request.url, { method: request.method, headers, agent: this.#httpsAgent })
      : http.request(request.url, { method: request.method, headers, agent: this.#httpAgent });
  }

  /** A forwarding proxy that could not be reached is named as such (the provider was not). */
  #explain(error: Error, url: URL, connected: boolean): Error {
    if (connected || url.protocol === 'https:' || !this.proxy || !proxyFor(url, this.proxy)) return error;
    return proxyUnreachable(error);
  }

  #tunnelThrough(proxy: URL): TunnelingAgent {
    let agent = this.#tunnels.get(proxy.href);
    if (!agent) {
      agent = new TunnelingAgent(proxy);
      this.#tunnels.set(proxy.href, agent);
    }
    return agent;
  }
}

/** A reused keep-alive socket is already connected; a new one is once TCP (and TLS) is up. */
function whenConnected(socket: Socket, onConnected: () => void): void {
  if (!socket.connecting) {
    onConnected();
    return;
  }
  socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', onConnected);
}

/** The body as text PostgreSQL can store: a NUL byte becomes U+FFFD, as bytes that are not UTF-8 do. */
async function readBody(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      response.destroy();
      break;
    }
  }
  return storableText(Buffer.concat(chunks).toString('utf8'));
}
