import { z } from 'zod';
import { resolveConnectionSecurity } from './connection-security.js';
import { environmentSchema, type Environment } from './environment.schema.js';
import { resolveSecretFiles } from './secret-files.js';

/** Thrown at start-up when the environment is incomplete or wrong; names every bad variable. */
export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigurationError';
  }
}

/** A zod `pick` mask over the environment, built at run time from the variables' names. */
type EnvironmentMask = { [K in keyof Environment]?: true };

/** The schema of the variables whose names pass `keep` (a tool that needs only part of the settings). */
export function variablesWhere(keep: (name: string) => boolean): z.ZodType<Partial<Environment>> {
  return environmentSchema.pick<EnvironmentMask>(
    Object.fromEntries(
      Object.keys(environmentSchema.shape)
        .filter(keep)
        .map((name) => [name, true]),
    ),
  );
}

/** Secrets from files, then the schema, then the connection settings that depend on each other and on files. */
export function parseEnvironment(source: Record<string, string | undefined>, schema: z.ZodType<Partial<Environment>>) {
  // An empty variable counts as unset, so `FOO=` falls back to the default instead of failing.
  const present = Object.fromEntries(
    Object.entries(source).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const secrets = resolveSecretFiles(withProxyVariables(present));
  const result = schema.safeParse(secrets.values);
  if (!result.success) {
    throw new ConfigurationError([...secrets.problems, ...result.error.issues.map(describeIssue)]);
  }
  const env = result.data as Environment;
  const { security, problems } = resolveConnectionSecurity(env);
  if (secrets.problems.length + problems.length > 0) throw new ConfigurationError([...secrets.problems, ...problems]);
  return { env, security };
}

/** curl reads `https_proxy` as well as `HTTPS_PROXY` (and so on); the upper-case name wins. */
function withProxyVariables(source: Record<string, string>): Record<string, string> {
  const values = { ...source };
  for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY']) {
    const lower = name.toLowerCase();
    if (values[name] === undefined && values[lower] !== undefined) values[name] = values[lower];
  }
  return values;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const variable = issue.path.join('.') || '(environment)';
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return `${variable} ${message}`;
}
