/**
 * kafkajs wraps the error that matters (a broker's error code, a socket's TLS code) in
 * retry and aggregate errors; these helpers look through them.
 */
export function kafkaErrorChain(error: unknown): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = [];
  const visit = (value: unknown, depth: number) => {
    if (value === null || typeof value !== 'object' || depth > 5 || chain.includes(value as Record<string, unknown>)) return;
    const record = value as Record<string, unknown>;
    chain.push(record);
    visit(record.originalError, depth + 1);
    visit(record.cause, depth + 1);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return chain;
}

/** The broker's error code (`TOPIC_AUTHORIZATION_FAILED`, ...) anywhere in the chain, if any. */
export function kafkaErrorType(error: unknown, wanted: (type: string) => boolean): string | undefined {
  for (const link of kafkaErrorChain(error)) {
    if (typeof link.type === 'string' && wanted(link.type)) return link.type;
  }
  return undefined;
}

/** Kafka's answer when an ACL is missing: retrying does not help until someone grants it. */
export function kafkaAuthorizationFailure(error: unknown): string | undefined {
  return kafkaErrorType(error, (type) => type.endsWith('_AUTHORIZATION_FAILED'));
}
