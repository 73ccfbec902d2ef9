import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { errorSchema } from './operator-api.schemas.js';

/** The error answers every operator route shares, for the OpenAPI document. */
export function OperatorApiErrors() {
  return applyDecorators(
    ApiBadRequestResponse({ standardSchema: errorSchema, description: 'a parameter is not valid; the message names it' }),
    ApiUnauthorizedResponse({ standardSchema: errorSchema, description: 'no bearer token, or not one of OPERATOR_API_TOKENS' }),
  );
}
