import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../../context';
import { documentErrorResponses } from '../../lib/openapi';

type OpenAPIDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

const documents = new WeakMap<object, OpenAPIDocument>();

/**
 * The OpenAPI 3.1 document of `app`, built on first request (never at module scope: building
 * it walks every zod schema, which would cost startup time) and then reused by the isolate.
 */
function openApiDocument(app: OpenAPIHono<AppEnv>, c: Context<AppEnv>): OpenAPIDocument {
  let document = documents.get(app);
  if (!document) {
    const { PROJECT_NAME, VERSION, API_V1_PREFIX } = c.get('settings');
    const registry = app.openAPIRegistry;
    documentErrorResponses(registry);
    registry.registerComponent('securitySchemes', 'OAuth2PasswordBearer', {
      type: 'oauth2',
      description: "Swagger UI's Authorize button: log in with e-mail and password.",
      flows: { password: { tokenUrl: `${API_V1_PREFIX}/auth/jwt/login`, scopes: {} } },
    });
    registry.registerComponent('securitySchemes', 'BearerAuth', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    registry.registerComponent('securitySchemes', 'CookieAuth', {
      type: 'apiKey',
      in: 'cookie',
      name: 'stratus_auth',
      description: 'Set by POST /auth/cookie/login (`__Host-stratus_auth` outside development).',
    });
    document = app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: PROJECT_NAME,
        version: VERSION,
        description: `${PROJECT_NAME} API. Errors are RFC 9457 problem documents with a stable \`code\`.`,
      },
      tags: [{ name: 'health', description: 'Liveness and readiness' }],
    });
    documents.set(app, document);
  }
  return document;
}

/** Scripts and styles come from the Worker's static assets, so the pages work offline. */
function page(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${head}
</head>
<body>
${body}
</body>
</html>`;
}

function docsCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function htmlWithCsp(c: Context<AppEnv>, render: (nonce: string) => string): Response {
  const nonce = crypto.randomUUID().replaceAll('-', '');
  c.header('Content-Security-Policy', docsCsp(nonce));
  return c.html(render(nonce));
}

/**
 * Adds `GET /openapi.json`, `GET /docs` (Swagger UI) and `GET /redoc` under the API prefix.
 * These routes are not themselves part of the document.
 */
export function registerDocs(app: OpenAPIHono<AppEnv>, prefix: string) {
  const specUrl = `${prefix}/openapi.json`;
  app.get(specUrl, (c) => c.json(openApiDocument(app, c)));
  app.get(`${prefix}/docs`, (c) =>
    htmlWithCsp(c, (nonce) =>
      page(
        `${c.get('settings').PROJECT_NAME} – API docs`,
        '<link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css">',
        `<div id="swagger-ui"></div>
<script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script nonce="${nonce}">
window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: true });
</script>`,
      ),
    ),
  );
  app.get(`${prefix}/redoc`, (c) =>
    htmlWithCsp(c, () =>
      page(
        `${c.get('settings').PROJECT_NAME} – API reference`,
        '',
        `<redoc spec-url="${specUrl}"></redoc>
<script src="/vendor/redoc/redoc.standalone.js"></script>`,
      ),
    ),
  );
}
