import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { environmentSchema } from './environment.schema.js';

const envExample = readFileSync(new URL('../../../../.env.example', import.meta.url), 'utf8');
const credentials = { ITNIOTECH_API_KEY: 'key', ITNIOTECH_API_SECRET: 'secret' };

/** NAME=value lines of .env.example (commented-out ones too, `# NAME=value`). */
function assignments(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) found.set(match[1]!, match[2]!);
  }
  return found;
}

// .env.example is the list a new user reads; the schema is what the service reads. Other changes
// add variables to the schema: when this fails, the diff names exactly what to add or remove.
describe('.env.example', () => {
  const listed = assignments(envExample);
  const schemaNames = Object.keys(environmentSchema.shape);

  it('lists every variable of environment.schema.ts, and no other', () => {
    // NAME_FILE (the secret read from a file) is accepted for any NAME of the schema.
    const known = (name: string) => schemaNames.includes(name) || schemaNames.includes(name.replace(/_FILE$/, ''));
    expect({
      missingFromEnvExample: schemaNames.filter((name) => !listed.has(name)),
      notInEnvironmentSchema: [...listed.keys()].filter((name) => !known(name)),
    }).toEqual({ missingFromEnvExample: [], notInEnvironmentSchema: [] });
  });

  it('gives each variable its default value (empty where there is none or it is computed)', () => {
    const values = Object.fromEntries([...listed].filter(([name, value]) => value !== '' && schemaNames.includes(name)));
    expect(environmentSchema.parse({ ...values, ...credentials })).toEqual(environmentSchema.parse(credentials));
  });

  it('explains each variable on the line above it', () => {
    const lines = envExample.split('\n');
    const unexplained = lines
      .map((line, index) => ({ line, above: lines[index - 1] ?? '' }))
      .filter(({ line }) => /^#?\s*[A-Z][A-Z0-9_]*=/.test(line.trim()))
      .filter(({ above }) => !/^#\s*\S/.test(above) || /^#?\s*[A-Z][A-Z0-9_]*=/.test(above.replace(/^#\s*/, '')))
      .map(({ line }) => line.split('=')[0]);
    expect(unexplained).toEqual([]);
  });
});
