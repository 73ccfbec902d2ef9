import { createServer } from 'node:net';

/**
 * A port nobody listens on now, for a server that needs its number up front (a broker, a
 * PostgreSQL server). Taken below the kernel's ephemeral range (32768 and up by default), from
 * which outgoing connections get their local ports: between this check and the server's bind, no
 * client connection can take it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
