import { describe, expect, it } from 'vitest';
import { resolveSecretFiles } from './secret-files.js';

const files: Record<string, string> = { '/run/secrets/api': 'from-file\n', '/run/secrets/empty': '' };
const readFile = (path: string) => {
  if (path in files) return files[path]!;
  throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
};

describe('resolveSecretFiles', () => {
  it('reads <NAME>_FILE into <NAME>, without the trailing line break, and drops the _FILE variable', () => {
    const { values, problems } = resolveSecretFiles({ SECRET_A_FILE: '/run/secrets/api', OTHER: 'x' }, ['SECRET_A'], readFile);
    expect(problems).toEqual([]);
    expect(values).toEqual({ SECRET_A: 'from-file', OTHER: 'x' });
  });

  it('refuses both <NAME> and <NAME>_FILE, naming the variables and not the value', () => {
    const { problems } = resolveSecretFiles({ SECRET_A: 'hunter2', SECRET_A_FILE: '/run/secrets/api' }, ['SECRET_A'], readFile);
    expect(problems).toEqual(['SECRET_A and SECRET_A_FILE are both set: set only one']);
  });

  it('names an unreadable or empty file by its variable, without echoing the path', () => {
    const { problems } = resolveSecretFiles(
      { SECRET_A_FILE: '/run/secrets/hunter2', SECRET_B_FILE: '/run/secrets/empty' },
      ['SECRET_A', 'SECRET_B'],
      readFile,
    );
    expect(problems).toEqual(['SECRET_A_FILE cannot be read (ENOENT)', 'SECRET_B_FILE names an empty file']);
    expect(problems.join()).not.toContain('hunter2');
  });

  it('ignores variables that did not opt in', () => {
    expect(resolveSecretFiles({ NOT_SECRET_FILE: '/run/secrets/api' }, ['SECRET_A'], readFile).values).toEqual({
      NOT_SECRET_FILE: '/run/secrets/api',
    });
  });
});
