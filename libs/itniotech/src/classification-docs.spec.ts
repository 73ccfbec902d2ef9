import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLASSIFICATION_TABLE } from './classification-table.js';

// Operators read docs/provider.md, not the code: the two must not drift apart.
const documentation = readFileSync(new URL('../../../docs/provider.md', import.meta.url), 'utf8');

describe('docs/provider.md', () => {
  it.each(CLASSIFICATION_TABLE.map((entry) => [entry.code, entry]))('lists %s with its handling', (_code, entry) => {
    const handling = entry.handling === 'retry_long' ? 'retry (long delay)' : entry.handling;
    expect(documentation).toContain(`| \`${entry.code}\` | ${entry.meaning} | ${handling} |`);
  });
});
