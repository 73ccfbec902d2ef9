/** Progress lines of the benchmark, with the wall-clock time, on stderr (the table goes to stdout). */
export function say(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
