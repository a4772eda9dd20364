import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../../context';
import { documentResponses } from '../../lib/openapi';
import { underApiPolicy } from '../../middleware/rate-limit';
import type { Module } from '../module';

type OpenAPIDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

const documents = new WeakMap<object, OpenAPIDocument>();

/** How access tokens are made and checked, for the schemes that carry them. */
const JWT_PRACTICES =
  'Access tokens are short-lived JWTs made and checked as RFC8725 advises: HS256 only, pinned ' +
  'when verifying (no `none`, no algorithm confusion), explicit `typ: at+jwt`, and `iss`, `aud`, ' +
  '`exp` and `nbf` required. Renew them at the refresh URL with a JSON body `{"refresh_token": …}`.';

/** How the server entry names its environment (words API catalogues recognise). */
const ENVIRONMENTS = {
  development: 'local development',
  test: 'test',
  production: 'production',
} as const;

/** `<module>.<camelCaseVerb>`: `items.list`, `users.getMe`, `auth.login`. */
const OPERATION_ID = /^([a-z][a-z0-9_-]*)\.[a-z][a-zA-Z0-9]*$/;

/**
 * Fails, naming the route, unless every operation has an `operationId` of the form
 * {@link OPERATION_ID} that starts with its module's name and no two share one, and every
 * operation's tags are module names: generated clients name their methods after these.
 */
function checkOperations(modules: readonly Module[]) {
  const seen = new Map<string, string>();
  const names = new Set(modules.map((module) => module.name));
  for (const module of modules) {
    for (const definition of module.router.openAPIRegistry.definitions) {
      if (definition.type !== 'route') continue;
      const { method, path, operationId, tags = [] } = definition.route;
      const route = `${method.toUpperCase()} ${path} (module ${module.name})`;
      if (!operationId || OPERATION_ID.exec(operationId)?.[1] !== module.name) {
        throw new Error(
          `${route}: its operationId must be "${module.name}.<verb>", not ${operationId}`,
        );
      }
      const other = seen.get(operationId);
      if (other) throw new Error(`${route}: operationId ${operationId} is also ${other}'s`);
      seen.set(operationId, route);
      const unknown = tags.filter((tag) => !names.has(tag));
      if (unknown.length > 0)
        throw new Error(`${route}: tags ${unknown.join(', ')} name no module`);
    }
  }
}

/**
 * The OpenAPI 3.1 document of `app`, built on first request (never at module scope: building
 * it walks every zod schema, which would cost startup time) and then reused by the isolate.
 */
function openApiDocument(
  app: OpenAPIHono<AppEnv>,
  modules: readonly Module[],
  c: Context<AppEnv>,
): OpenAPIDocument {
  let document = documents.get(app);
  if (!document) {
    const { PROJECT_NAME, VERSION, API_V1_PREFIX, PUBLIC_BASE_URL, APP_ENV } = c.get('settings');
    checkOperations(modules);
    const registry = app.openAPIRegistry;
    documentResponses(registry, {
      rateLimited: (path) => underApiPolicy(API_V1_PREFIX, path),
    });
    registry.registerComponent('securitySchemes', 'OAuth2PasswordBearer', {
      type: 'oauth2',
      description: `Swagger UI's Authorize button: log in with e-mail and password. ${JWT_PRACTICES}`,
      flows: {
        password: {
          tokenUrl: `${API_V1_PREFIX}/auth/jwt/login`,
          refreshUrl: `${API_V1_PREFIX}/auth/jwt/refresh`,
          scopes: {},
        },
      },
    });
    registry.registerComponent('securitySchemes', 'BearerAuth', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: `The \`access_token\` of a login. ${JWT_PRACTICES}`,
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
      // Paths carry the API prefix, so the server is the origin alone.
      servers: [
        {
          url: PUBLIC_BASE_URL.replace(/\/$/, ''),
          description: `${PROJECT_NAME}, ${ENVIRONMENTS[APP_ENV]}`,
          'x-internal': false,
        },
      ],
      tags: modules.map(({ name, description }) => ({ name, description })),
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
 * Adds `GET /openapi.json` (the document of `modules`), `GET /docs` (Swagger UI) and `GET /redoc` under the API prefix.
 * These routes are not themselves part of the document.
 */
export function registerDocs(app: OpenAPIHono<AppEnv>, prefix: string, modules: readonly Module[]) {
  const specUrl = `${prefix}/openapi.json`;
  app.get(specUrl, (c) => c.json(openApiDocument(app, modules, c)));
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
