import { Validator } from '@cfworker/json-schema';
import { type ErrorCode, errorSpec } from '../../src/lib/errors';
import { API, call, securityHeaderViolations } from '../helpers/worker';
import { type JsonSchema, resolveRefs } from './json-schema-arbitrary';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: JsonSchema;
}

interface DeclaredResponse {
  description: string;
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, { schema: JsonSchema }>;
}

/** One operation of the OpenAPI document, with every `$ref` inlined. */
export interface Operation {
  /** `PATCH /users/{id}`, the path without the API prefix. */
  name: string;
  method: string;
  path: string;
  parameters: Parameter[];
  body?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, DeclaredResponse>;
}

interface Document {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: Operation['body'];
        responses: Record<string, DeclaredResponse>;
      }
    >
  >;
}

/** Every operation of the document the Worker serves (`GET /openapi.json`). */
export async function loadOperations(): Promise<Operation[]> {
  const response = await call(`${API}/openapi.json`);
  if (response.status !== 200) throw new Error(`openapi.json: ${response.status}`);
  const document = (await response.json()) as Document;
  return Object.entries(document.paths).flatMap(([fullPath, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const { parameters = [], requestBody, responses } = resolveRefs(operation, document);
      const path = fullPath.slice(API.length);
      return {
        name: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters,
        body: requestBody,
        responses,
      };
    }),
  );
}

const validators = new WeakMap<JsonSchema, Validator>();

/** What `schema` finds wrong with `value`, as `location: message` lines. */
export function schemaErrors(schema: JsonSchema, value: unknown): string[] {
  let validator = validators.get(schema);
  if (!validator) {
    validator = new Validator(schema as object, '2020-12', false);
    validators.set(schema, validator);
  }
  const result = validator.validate(value);
  return result.valid
    ? []
    : result.errors.map((error) => `${error.instanceLocation}: ${error.error}`);
}

/** `LOGIN_BAD_CREDENTIALS | RATE_LIMITED`: the codes an error response of the document names. */
const CODE_LIST = /^[A-Z][A-Z0-9_]*( \| [A-Z][A-Z0-9_]*)*$/;

function catalogued(code: unknown): { status: number } | undefined {
  if (typeof code !== 'string') return undefined;
  try {
    return errorSpec(code as ErrorCode);
  } catch {
    return undefined;
  }
}

/**
 * What is wrong with `response` as an answer of `operation`, empty when nothing is: a 5xx; a
 * status the operation does not declare; a body or media type that is not the declared one
 * for that status (or a body where none is declared); an error that is not problem+json with
 * a catalogued code of that status, among those the document lists for it; a 429 without
 * `Retry-After`; a missing security header.
 */
export async function contractViolations(
  operation: Operation,
  response: Response,
): Promise<string[]> {
  const problems: string[] = [];
  const { status } = response;
  const text = await response.text();
  if (status >= 500) problems.push(`answered ${status}`);
  const declared = operation.responses[String(status)];
  if (!declared) {
    problems.push(
      `status ${status} is not declared (declared: ${Object.keys(operation.responses).join(', ')})`,
    );
  }
  problems.push(...securityHeaderViolations(response.headers));
  const mediaType = response.headers.get('Content-Type')?.split(';')[0]?.trim() ?? '';
  let body: unknown;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      if (mediaType.endsWith('json')) problems.push(`${mediaType} body is not JSON`);
    }
  }
  if (declared?.content) {
    const media = declared.content[mediaType];
    if (!media) {
      problems.push(
        `Content-Type ${mediaType || '(none)'} is not declared for ${status} (declared: ${Object.keys(declared.content).join(', ')})`,
      );
    } else if (body !== undefined || mediaType.endsWith('json')) {
      problems.push(...schemaErrors(media.schema, body).map((error) => `body ${error}`));
    }
  } else if (declared && text !== '') {
    problems.push(`${status} declares no body, got ${mediaType}: ${text.slice(0, 80)}`);
  }
  for (const [header, spec] of Object.entries(declared?.headers ?? {})) {
    if (spec.required && !response.headers.has(header)) problems.push(`no ${header} header`);
  }
  if (status >= 400) {
    if (mediaType !== 'application/problem+json') {
      problems.push(`error as ${mediaType || '(no Content-Type)'}, not application/problem+json`);
    }
    const code = (body as { code?: unknown } | undefined)?.code;
    const spec = catalogued(code);
    if (!spec) problems.push(`code ${JSON.stringify(code)} is not in the error catalogue`);
    // QStash's "do not retry" answer (489) carries the code of the error it wraps.
    else if (spec.status !== status && !declared?.headers?.['Upstash-NonRetryable-Error']) {
      problems.push(`code ${code} is a ${spec.status}, not ${status}`);
    }
    const listed = declared?.description;
    if (listed && CODE_LIST.test(listed) && !listed.split(' | ').includes(String(code))) {
      problems.push(`code ${code} is not among the declared ${listed}`);
    }
    if (status === 429 && !response.headers.has('Retry-After'))
      problems.push('429 without Retry-After');
  }
  if (problems.length > 0) problems.push(`body: ${text.slice(0, 400)}`);
  return problems;
}
