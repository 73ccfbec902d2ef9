/** One reason a request was refused. `field` is a path such as `allowSendTime[1].endTime`. */
export interface ValidationIssue {
  field: string;
  message: string;
}

/** The field name used for problems with the message as a whole (not JSON object, unreadable). */
export const WHOLE_MESSAGE_FIELD = '(message)';

/** One line for logs and for the failed event: "keyId: must be a positive integer; taskName: ...". */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map(({ field, message }) => `${field}: ${message}`).join('; ');
}

/** ['allowSendTime', 1, 'endTime'] becomes "allowSendTime[1].endTime"; the empty path is the whole message. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return WHOLE_MESSAGE_FIELD;
  return path.map((key, position) => (typeof key === 'number' ? `[${key}]` : position === 0 ? String(key) : `.${String(key)}`)).join('');
}
