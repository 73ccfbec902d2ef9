import http from 'node:http';
import { connect, type Socket } from 'node:net';

export type ConnectProxyMode = 'open' | 'refuse' | 'silent';

/**
 * A small outbound proxy for tests, as companies run for egress: CONNECT tunnels (for https
 * targets) and forwarded absolute-URL requests (for http targets). It counts what passes through
 * it; in `refuse` mode it answers every CONNECT with 403, as a proxy whose allow-list lacks the
 * target would; in `silent` mode it takes the CONNECT and never answers, as a hung proxy would.
 */
export class ConnectProxy {
  /** `host:port` of each tunnel opened (refused ones are not counted). */
  readonly tunnels: string[] = [];
  readonly refusedTunnels: string[] = [];
  /** `host:port` of each CONNECT left unanswered (`silent` mode). */
  readonly unansweredTunnels: string[] = [];
  /** Absolute URLs of the requests forwarded. */
  readonly forwarded: string[] = [];
  /** The Proxy-Authorization headers seen, to check credentials are sent to the proxy only. */
  readonly authorizations: string[] = [];
  mode: ConnectProxyMode = 'open';
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<Socket>();

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<ConnectProxy> {
    const server = http.createServer();
    const proxy = new ConnectProxy(server);
    server.on('connect', (request: http.IncomingMessage, client: Socket, head: Buffer) => proxy.tunnel(request, client, head));
    server.on('request', (request, response) => proxy.forward(request, response));
    server.on('connection', (socket: Socket) => proxy.trackClient(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy.port = (server.address() as { port: number }).port;
    return proxy;
  }

  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Connections from clients open now: a client that gave up on a tunnel must have closed its own. */
  get openClientConnections(): number {
    return this.clients.size;
  }

  /** Cuts every open connection and tunnel (clients' pooled keep-alive sockets die with them). */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private trackClient(socket: Socket): void {
    this.track(socket);
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
  }

  private tunnel(request: http.IncomingMessage, client: Socket, head: Buffer): void {
    const target = request.url ?? '';
    this.noteAuthorization(request);
    if (this.mode === 'refuse') {
      this.refusedTunnels.push(target);
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.mode === 'silent') {
      this.unansweredTunnels.push(target);
      // Never answered; closed only once the client closes its end (the server keeps a CONNECT's socket half-open).
      client.on('error', () => undefined);
      client.once('end', () => client.destroy());
      return;
    }
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const upstream = connect(port, host, () => {
      this.tunnels.push(target);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  }

  private forward(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.noteAuthorization(request);
    const target = new URL(request.url ?? '');
    this.forwarded.push(target.href);
    const { 'proxy-authorization': _credentials, ...headers } = request.headers;
    const upstream = http.request(target, { method: request.method, headers, agent: false }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  }

  private noteAuthorization(request: http.IncomingMessage): void {
    const authorization = request.headers['proxy-authorization'];
    if (authorization) this.authorizations.push(authorization);
  }
}
