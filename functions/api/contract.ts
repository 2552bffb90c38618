import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { App } from '../../lib/app';

/**
 * The API's contract, declared once per route: path, method, the zod schemas of its path
 * parameters, query, headers and body, and its responses. The handler validates every request with
 * these schemas, and the OpenAPI document is generated from them, so the two cannot disagree.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Request bodies above this are refused with 413 before they are parsed. @default 1 MiB */
export const MAX_BODY_BYTES = 1024 * 1024;

/** One problem with a request: where it is (`in` + zod `path`) and what is wrong. */
export interface ErrorDetail {
  in: 'path' | 'query' | 'header' | 'body';
  path: (string | number)[];
  message: string;
}

/** What a route answers: JSON by default, or an HTML page (unsubscribe confirmation). */
export type Reply =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { status: number; html: string; headers?: Record<string, string> };

type Schema = z.ZodType;
type ObjectSchema = z.ZodObject;
type Out<S> = S extends Schema ? z.output<S> : undefined;

/** A JSON body, optionally also accepted as `text/csv` (the contact import). */
export interface BodySpec<J extends Schema = Schema> {
  json: J;
  /** Also accept `text/csv`; the route then receives `{ type: 'csv', text }` for it. */
  csv?: { description: string };
  description?: string;
}

export type BodyOf<B> = B extends { json: infer J extends Schema; csv: object }
  ? { type: 'json'; data: z.output<J> } | { type: 'csv'; text: string }
  : B extends { json: infer J extends Schema }
    ? z.output<J>
    : undefined;

export interface ResponseSpec {
  description: string;
  /** The JSON body's schema; absent for an HTML page. */
  schema?: Schema;
  html?: boolean;
  headers?: ObjectSchema;
}

export interface RouteInput<P, Q, H, B> {
  params: Out<P>;
  query: Out<Q>;
  headers: Out<H>;
  body: BodyOf<B>;
  app: App;
  event: APIGatewayProxyEventV2;
  /**
   * This API's OpenAPI document, for the route that serves it. Given by the handler: the document is
   * built from the route table, so a route importing it would import itself.
   */
  openApiDocument: () => unknown;
}

export interface Route<
  P extends ObjectSchema | undefined = ObjectSchema | undefined,
  Q extends ObjectSchema | undefined = ObjectSchema | undefined,
  H extends ObjectSchema | undefined = ObjectSchema | undefined,
  B extends BodySpec | undefined = BodySpec | undefined,
> {
  method: HttpMethod;
  /** `/campaigns/{campaignId}`: each `{name}` must be a key of `params`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Reachable without IAM authorization (the signed unsubscribe link). @default false */
  public?: boolean;
  params?: P;
  query?: Q;
  /** Header names in lower case. */
  headers?: H;
  body?: B;
  /** The success answers. */
  responses: Record<number, ResponseSpec>;
  /** Error statuses this route answers beyond those every route may (400, 413, 415, 422, 500). */
  errors?: number[];
  handle(input: RouteInput<P, Q, H, B>): Promise<Reply>;
}

/** Declares a route; its handler's input is typed from its schemas. */
export function defineRoute<
  P extends ObjectSchema | undefined = undefined,
  Q extends ObjectSchema | undefined = undefined,
  H extends ObjectSchema | undefined = undefined,
  B extends BodySpec | undefined = undefined,
>(route: Route<P, Q, H, B>): Route {
  return route as unknown as Route;
}

/** An HTTP-level refusal, raised while reading a request (before any use case runs). */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export function issuesToDetails(where: ErrorDetail['in'], issues: readonly { path: PropertyKey[]; message: string }[]): ErrorDetail[] {
  return issues.map((i) => ({ in: where, path: i.path.map((p) => (typeof p === 'number' ? p : String(p))), message: i.message }));
}

const jsonTypes = /^application\/([\w.+-]+\+)?json$/;

function mediaType(headers: Record<string, string | undefined>): string | undefined {
  return headers['content-type']?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/** Decodes the body, checking size, media type, emptiness and JSON syntax; schema checks come after. */
export function readBody(
  route: Route,
  event: APIGatewayProxyEventV2,
): { type: 'json'; data: unknown } | { type: 'csv'; text: string } | undefined {
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    throw new RequestError(
      413,
      'PAYLOAD_TOO_LARGE',
      `request body exceeds the limit of ${MAX_BODY_BYTES} bytes (1 MiB); send fewer rows per request`,
    );
  }
  if (!route.body) return undefined; // a body where none is expected is ignored
  const type = mediaType(event.headers ?? {});
  const accepted = ['application/json', ...(route.body.csv ? ['text/csv'] : [])];
  const isCsv = type === 'text/csv' && Boolean(route.body.csv);
  if (!raw.trim()) throw new RequestError(400, 'EMPTY_BODY', `request body is empty; expected ${accepted.join(' or ')}`);
  // No Content-Type is read as JSON; any other type must be one this route accepts.
  if (type && !isCsv && !jsonTypes.test(type)) {
    throw new RequestError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${type} is not accepted here; send ${accepted.join(' or ')} (curl: --json, or -H 'content-type: application/json')`,
    );
  }
  if (isCsv) return { type: 'csv', text: raw };
  try {
    return { type: 'json', data: JSON.parse(raw) };
  } catch {
    // The parser's own message quotes the input (which may hold personal data): say it plainly.
    throw new RequestError(400, 'MALFORMED_JSON', 'request body is not valid JSON (check quotes, commas and brackets)', [
      { in: 'body', path: [], message: 'not valid JSON' },
    ]);
  }
}

/** Validates one part of the request with its schema, or refuses it naming every problem. */
export function validatePart<S extends Schema>(schema: S, value: unknown, where: ErrorDetail['in']): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = issuesToDetails(where, parsed.error.issues);
  const summary = details
    .slice(0, 3)
    .map((d) => `${d.path.length ? d.path.join('.') : where}: ${d.message}`)
    .join('; ');
  if (where === 'body') throw new RequestError(422, 'VALIDATION_FAILED', `invalid request body: ${summary}`, details);
  throw new RequestError(400, 'INVALID_PARAMETER', `invalid ${where === 'header' ? 'header' : `${where} parameter`}: ${summary}`, details);
}

export const jsonResult = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

export const errorResult = (
  statusCode: number,
  code: string,
  message: string,
  details: unknown = [],
  headers: Record<string, string> = {},
) => jsonResult(statusCode, { error: { code, message, details } }, headers);
