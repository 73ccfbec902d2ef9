import { readFileSync } from 'node:fs';

/**
 * The secret settings that may also come from a file, as `<NAME>_FILE` (the Docker and Kubernetes
 * secrets convention). A secret variable opts in by being listed here.
 */
export const SECRET_VARIABLES = ['ITNIOTECH_API_SECRET', 'KAFKA_SASL_PASSWORD', 'DATABASE_PASSWORD', 'OPERATOR_API_TOKENS'] as const;

export interface ResolvedSecrets {
  /** The source with each `<NAME>_FILE` replaced by `<NAME>` holding the file's content. */
  values: Record<string, string>;
  /** One line per bad variable; never a value, never a path's content. */
  problems: string[];
}

/**
 * Reads `<NAME>_FILE` for each of `names`. Setting both `<NAME>` and `<NAME>_FILE` is an error
 * (which one wins would be a guess). One trailing line break is dropped: `echo secret > file`
 * and most editors add one, and no secret ends with it.
 */
export function resolveSecretFiles(
  source: Record<string, string>,
  names: readonly string[] = SECRET_VARIABLES,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ResolvedSecrets {
  const values = { ...source };
  const problems: string[] = [];
  for (const name of names) {
    const fileVariable = `${name}_FILE`;
    const path = source[fileVariable];
    if (path === undefined) continue;
    delete values[fileVariable];
    if (source[name] !== undefined) {
      problems.push(`${name} and ${fileVariable} are both set: set only one`);
      continue;
    }
    const content = readSecret(path, readFile);
    if (typeof content === 'string' && content !== '') values[name] = content;
    else problems.push(`${fileVariable} ${content === '' ? 'names an empty file' : `cannot be read (${content.code})`}`);
  }
  return { values, problems };
}

function readSecret(path: string, readFile: (path: string) => string): string | { code: string } {
  try {
    return readFile(path).replace(/\r?\n$/, '');
  } catch (error) {
    // The error's message would repeat the path; its code says enough (ENOENT, EACCES, EISDIR).
    return { code: (error as NodeJS.ErrnoException).code ?? 'unreadable' };
  }
}
