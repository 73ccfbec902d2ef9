import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

/**
 * The egress proxy for provider calls (the provider allow-lists client IPs; companies route such
 * calls through a proxy with a fixed address). Same meaning as curl's variables:
 * `httpsProxy` for https:// targets, `httpProxy` for http:// ones, `noProxy` for the exceptions.
 */
export interface ProxySettings {
  httpsProxy: string | null;
  httpProxy: string | null;
  /** Comma- or space-separated: `*`, host names (a leading `.` or `*.` is optional and matches subdomains), `host:port`, IP addresses. */
  noProxy: string;
}

/** The proxy to use for `target`, or null to connect directly. */
export function proxyFor(target: URL, settings: ProxySettings): URL | null {
  const proxy = target.protocol === 'https:' ? settings.httpsProxy : settings.httpProxy;
  if (!proxy || bypassesProxy(target, settings.noProxy)) return null;
  return new URL(proxy);
}

function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return noProxy
    .split(/[,\s]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      const [, entryHost = '', entryPort] = /^(.*?)(?::(\d+))?$/.exec(entry.toLowerCase()) ?? [];
      if (entryPort && entryPort !== port) return false;
      const name = entryHost.replace(/^\*?\./, '');
      return host === name || host.endsWith(`.${name}`);
    });
}

/** `Proxy-Authorization` for a proxy URL that carries credentials (kept out of every message). */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/**
 * A failure before the request could reach the provider: the proxy is unreachable, refused the
 * tunnel, or the tunnel (CONNECT and TLS handshake through it) was not up by the call's deadline.
 */
export class ProxyError extends Error {
  constructor(
    message: string,
    readonly code: 'EPROXY_UNREACHABLE' | 'EPROXY_REFUSED' | 'EPROXY_TIMEOUT',
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}

export function proxyUnreachable(error: NodeJS.ErrnoException): ProxyError {
  return new ProxyError(`The outbound proxy could not be reached (${error.code ?? error.message})`, 'EPROXY_UNREACHABLE');
}

/** Request options of a call through a TunnelingAgent: `deadline` aborts when the call gives up. */
export interface TunnelRequestOptions extends https.RequestOptions {
  deadline?: AbortSignal;
}

type ConnectionCallback = (error: Error | null, socket?: Duplex) => void;

/**
 * An https agent whose connections go through an HTTP CONNECT tunnel. It hands the request its
 * socket only once the tunnel is open and TLS with the provider is established, so that
 * HttpExchange's "connected" still means "connected to the provider": a failure before that
 * (proxy down, CONNECT refused, handshake failed, the deadline passed) cannot have reached the
 * provider; after it, it may have. Written here rather than taken from https-proxy-agent, which
 * replays a refused CONNECT's answer (a proxy's 403 or 502) as if it were the provider's own answer.
 * Keep-alive pools the tunnels like direct connections.
 *
 * The CONNECT and the handshake run before the request has a socket, so destroying the request at
 * its deadline cannot end them: the call's `deadline` signal does (its request options reach
 * createConnection), or a proxy that never answers would keep a socket per call open for ever.
 */
export class TunnelingAgent extends https.Agent {
  constructor(private readonly proxy: URL) {
    super({ keepAlive: true });
  }

  // Node's Agent accepts a socket created asynchronously through the callback.
  override createConnection(requestOptions: http.ClientRequestArgs, done?: (error: Error | null, socket: Duplex) => void): undefined {
    const options = requestOptions as ConnectionOptions & TunnelRequestOptions & { host?: string; port?: number };
    const target = `${options.host}:${options.port}`;
    const attempt = new TunnelAttempt(target, options.deadline, done as ConnectionCallback);
    if (attempt.settled) return undefined;
    const connectRequest = http.request({
      host: this.proxy.hostname.replace(/^\[|\]$/g, ''),
      port: Number(this.proxy.port) || 80,
      method: 'CONNECT',
      path: target,
      headers: { Host: target, ...proxyAuthorization(this.proxy) },
      agent: false,
    });
    attempt.holds(connectRequest);
    connectRequest.on('error', (error) => attempt.settle(proxyUnreachable(error)));
    connectRequest.once('connect', (response, tunnel) => {
      attempt.holds(tunnel);
      if (response.statusCode !== 200) {
        tunnel.destroy();
        attempt.settle(
          new ProxyError(`The outbound proxy refused the tunnel to ${target} (HTTP ${response.statusCode})`, 'EPROXY_REFUSED'),
        );
        return;
      }
      const servername = options.servername ?? (isIP(options.host ?? '') ? undefined : options.host);
      const secure = tlsConnect({ ...options, socket: tunnel, ...(servername ? { servername } : {}) });
      attempt.holds(secure);
      const failHandshake = (error: Error) => attempt.settle(error);
      secure.once('error', failHandshake);
      secure.once('secureConnect', () => {
        secure.off('error', failHandshake);
        attempt.settle(null, secure);
      });
    });
    connectRequest.end();
    return undefined;
  }
}

/** One tunnel being opened: answers its callback once, and at the deadline destroys what it holds. */
class TunnelAttempt {
  settled = false;
  readonly #held: { destroy(): unknown }[] = [];
  readonly #giveUp = () => {
    for (const part of this.#held) part.destroy();
    this.settle(new ProxyError(`The tunnel to ${this.target} was not open within the call's deadline`, 'EPROXY_TIMEOUT'));
  };

  constructor(
    private readonly target: string,
    private readonly deadline: AbortSignal | undefined,
    private readonly callback: ConnectionCallback,
  ) {
    if (deadline?.aborted) this.#giveUp();
    else deadline?.addEventListener('abort', this.#giveUp, { once: true });
  }

  /** Destroyed if the deadline passes before the tunnel is handed over. */
  holds(part: { destroy(): unknown }): void {
    this.#held.push(part);
  }

  settle(error: Error | null, socket?: Duplex): void {
    if (this.settled) return;
    this.settled = true;
    this.deadline?.removeEventListener('abort', this.#giveUp);
    this.callback(error, socket);
  }
}

/** Requests for http:// targets through the proxy: absolute URL as the path, the proxy as the host. */
export function forwardedRequestOptions(target: URL, proxy: URL): http.RequestOptions {
  return {
    host: proxy.hostname.replace(/^\[|\]$/g, ''),
    port: Number(proxy.port) || 80,
    path: target.href,
    headers: { Host: target.host, ...proxyAuthorization(proxy) },
  };
}
