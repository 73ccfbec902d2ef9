import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/**
 * Serves the OpenAPI document of the HTTP API at `GET /openapi.json` and Swagger UI at `/docs`.
 * Both stay open (they hold no data); the operator routes they describe need a bearer token.
 */
export function serveApiDocs(app: INestApplication): void {
  const description = new DocumentBuilder()
    .setTitle('resend-relay')
    .setDescription(
      'Health probes, and the operator API: look requests and dead letters up, replay a dead letter. ' +
        'Operator routes need `Authorization: Bearer <one of OPERATOR_API_TOKENS>`; they answer 404 when no token is configured.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, description), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
}
