/**
 * Failpoints for crash testing (as in etcd's gofail or TiKV's fail-rs): named places in the flow
 * where a test can freeze the process, so that it can SIGKILL it at exactly that point.
 *
 * Armed only through the environment, e.g. RESEND_RELAY_FAILPOINTS=after_claim,before_publish.
 * When an armed point is reached, the process writes `FAILPOINT <name>` to stderr and that code
 * path waits forever (the rest of the process keeps running). Unarmed, a failpoint costs one
 * Set lookup. Never arm them in production.
 */
export type FailpointName = 'after_request_recorded' | 'after_claim' | 'before_result_commit' | 'before_publish' | 'after_publish';

let armed: ReadonlySet<string> | undefined;

/** Read when a failpoint is first reached, not when the module is imported: importing reads no settings. */
function armedFailpoints(): ReadonlySet<string> {
  armed ??= new Set(
    (process.env.RESEND_RELAY_FAILPOINTS ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  );
  return armed;
}

export async function failpoint(name: FailpointName): Promise<void> {
  if (!armedFailpoints().has(name)) return;
  process.stderr.write(`FAILPOINT ${name}\n`);
  await new Promise<never>(() => undefined);
}
