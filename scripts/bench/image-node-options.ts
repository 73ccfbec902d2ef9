import { readFileSync } from 'node:fs';

/**
 * The NODE_OPTIONS the service's image sets (`ENV NODE_OPTIONS="..."` in the Dockerfile): the
 * bench runs the service with them, as production does, so that the heap limit it measures is
 * the one that ships. BENCH_SERVICE_NODE_ARGS come after them on the command line, and win.
 */
export function imageNodeOptions(dockerfile: string): string {
  const match = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile);
  if (!match) throw new Error('the Dockerfile sets no NODE_OPTIONS (a line ENV NODE_OPTIONS="...")');
  return match[1]!;
}

export function readImageNodeOptions(path = 'Dockerfile'): string {
  return imageNodeOptions(readFileSync(path, 'utf8'));
}
