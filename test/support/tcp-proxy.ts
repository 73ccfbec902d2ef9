import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder in front of a server (the provider simulator, PostgreSQL), on a port of its own
 * that it keeps across `close()` and `open()`: closed, connections are refused, exactly as when the
 * server is down; open again, the same URL works. The server behind it keeps its state.
 * `silenceExisting()` makes the connections open at that moment go silent while new ones work, as
 * after a failover behind a stable address.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** Each forwarded connection: the client's socket and the server's. */
  private readonly connections = new Set<[Socket, Socket]>();
  private port = 0;

  private constructor(private readonly target: URL) {}

  static async start(targetUrl: string): Promise<TcpProxy> {
    const proxy = new TcpProxy(new URL(targetUrl));
    await proxy.open();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get isOpen(): boolean {
    return this.server !== null;
  }

  /** Listens (again, on the same port once it has one). */
  async open(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.forward(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  /** The port as a `postgres://` URL to the database `name` (user postgres, as the tests' server trusts it). */
  postgresUrl(name: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  /**
   * The connections open now stop forwarding, in both directions, without being closed or reset:
   * a peer's bytes are read and dropped, nothing is answered, as when the machine behind a stable
   * address failed over and the old one vanished. New connections are forwarded as usual.
   * Returns how many connections went silent.
   */
  silenceExisting(): number {
    const silenced = [...this.connections];
    this.connections.clear();
    for (const [client, upstream] of silenced) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      // Read and dropped: a paused socket would push back on the peer, which is not what a vanished machine does.
      for (const socket of [client, upstream]) {
        socket.removeAllListeners('data');
        socket.on('data', () => undefined);
        socket.resume();
      }
    }
    return silenced.length;
  }

  /** Stops listening and cuts every open connection: from now on, connections are refused. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.connections.clear();
    await closed;
  }

  private forward(client: Socket): void {
    const upstream = connect(Number(this.target.port), this.target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    this.connections.add(pair);
    client.on('close', () => this.connections.delete(pair));
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
