/**
 * Polls `probe` until it returns something other than undefined/false, or fails after
 * `timeoutMs` with the description, so a test waits for a condition, never for a duration.
 * Shared by the e2e tests (test/support/wait-for.ts re-exports it) and the benchmark.
 */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T> | T,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
