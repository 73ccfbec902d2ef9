import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { isIsoDateTime } from '../iso-date-time.js';
import { resendCompletedJsonSchema } from './resend-completed.schema.js';
import { resendFailedJsonSchema } from './resend-failed.schema.js';
import { resendRequestedJsonSchema } from './resend-requested.schema.js';

// ajv is not a runtime dependency of the service (it arrives with the dev tooling), so it is
// loaded on first use: importing #contracts must never need it, only calling a validator does.
const require = createRequire(import.meta.url);

type EventValidators = Record<'requested' | 'completed' | 'failed', ValidateFunction>;
let validators: EventValidators | undefined;

/** [] when the value is a valid campaign.resend.completed event, else one text per problem. */
export function validateCompletedEvent(value: unknown): string[] {
  return problemsOf(loadValidators().completed, value);
}

/** [] when the value is a valid campaign.resend.failed event, else one text per problem. */
export function validateFailedEvent(value: unknown): string[] {
  return problemsOf(loadValidators().failed, value);
}

/** [] when the value matches the campaign.resend.requested schema (parseResendRequest is stricter). */
export function validateRequestedEvent(value: unknown): string[] {
  return problemsOf(loadValidators().requested, value);
}

function loadValidators(): EventValidators {
  if (validators) return validators;
  const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  // strictRequired is off because if/then branches require properties declared at the top level.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  // Our own check instead of ajv-formats: it also refuses dates that do not exist (2024-02-30).
  ajv.addFormat('date-time', { type: 'string', validate: isIsoDateTime });
  validators = {
    requested: ajv.compile(resendRequestedJsonSchema),
    completed: ajv.compile(resendCompletedJsonSchema),
    failed: ajv.compile(resendFailedJsonSchema),
  };
  return validators;
}

function problemsOf(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map(describeError);
}

/** "/error/category must be equal to one of the allowed values", naming an extra property when there is one. */
function describeError({ instancePath, message, params }: ErrorObject): string {
  const where = instancePath || '(root)';
  const extra = 'additionalProperty' in params ? ` "${String(params.additionalProperty)}"` : '';
  return `${where} ${message ?? 'is invalid'}${extra}`;
}
