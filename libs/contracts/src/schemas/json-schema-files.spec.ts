import { describe, expect, it } from 'vitest';
import { resendCompletedJsonSchema } from './resend-completed.schema.js';
import { resendFailedJsonSchema } from './resend-failed.schema.js';
import { resendRequestedJsonSchema } from './resend-requested.schema.js';

// The TypeScript objects are the source of truth; libs/contracts/schemas/*.json are written from
// them for readers outside TypeScript. After changing a schema, regenerate the files with
//   npx vitest run --project unit libs/contracts -u
// and commit them; without -u this test fails whenever a file and its object differ.
describe('JSON Schema files', () => {
  it.each([
    ['campaign.resend.requested.schema.json', resendRequestedJsonSchema],
    ['campaign.resend.completed.schema.json', resendCompletedJsonSchema],
    ['campaign.resend.failed.schema.json', resendFailedJsonSchema],
  ])('%s matches its TypeScript source', async (fileName, schema) => {
    await expect(`${JSON.stringify(schema, null, 2)}\n`).toMatchFileSnapshot(`../../schemas/${fileName}`);
  });
});
