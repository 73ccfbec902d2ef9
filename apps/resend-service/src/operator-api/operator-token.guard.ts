import {
  createParamDecorator,
  Injectable,
  NotFoundException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { bearerToken, OperatorTokens } from './operator-tokens.js';

/** What the guard reads of Express's request and response (no @types/express needed). */
interface OperatorRequest {
  method: string;
  path: string;
  headers: { authorization?: string };
  operator?: string;
}
interface HeaderSetter {
  setHeader(name: string, value: string): void;
}

/**
 * Lets a request through when it carries one of OPERATOR_API_TOKENS as a bearer token (401
 * otherwise). With no token configured the operator routes do not exist: 404, as for any
 * unknown path, so an instance without tokens shows nothing of them.
 */
@Injectable()
export class OperatorTokenGuard implements CanActivate {
  private readonly tokens: OperatorTokens;

  constructor(config: AppConfig) {
    this.tokens = new OperatorTokens(config.operatorApi.tokens);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<OperatorRequest>();
    if (!this.tokens.configured) throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
    const presented = bearerToken(request.headers.authorization);
    const operator = presented === null ? null : this.tokens.match(presented);
    if (operator === null) {
      context.switchToHttp().getResponse<HeaderSetter>().setHeader('WWW-Authenticate', 'Bearer realm="resend-relay"');
      throw new UnauthorizedException(presented === null ? 'a bearer token is required' : 'the bearer token is not valid');
    }
    request.operator = operator;
    return true;
  }
}

/** The fingerprint of the token the request was let in with (see OperatorTokens.match). */
export const Operator = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<OperatorRequest>().operator!,
);
