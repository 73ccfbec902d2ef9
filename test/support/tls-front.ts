import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createServer, type Server } from 'node:tls';

/**
 * HTTPS in front of an http:// server (the provider simulator): terminates TLS with the given
 * certificate and passes the bytes on, so that tests can reach the simulator as https://.
 */
export class TlsFront {
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(targetUrl: string, certificate: { certFile: string; keyFile: string }): Promise<TlsFront> {
    const target = new URL(targetUrl);
    const server = createServer({ cert: readFileSync(certificate.certFile), key: readFileSync(certificate.keyFile) });
    const front = new TlsFront(server);
    server.on('secureConnection', (client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const socket of [client, upstream]) {
        front.sockets.add(socket);
        socket.on('close', () => front.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return front;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
