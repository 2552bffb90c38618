import { z } from 'zod';
import { MAX_BODY_BYTES } from './contract';

/**
 * The error answers, as the document describes them: one shape for every error, and what each
 * status means. The handler makes these answers (contract.ts `errorResult`); the document lists
 * them on every operation that can give them (openapi.ts).
 */

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({
        description:
          'Stable, machine-readable: BAD_REQUEST, EMPTY_BODY, MALFORMED_JSON, INVALID_PARAMETER, INVALID_CURSOR, UNSUPPORTED_MEDIA_TYPE, PAYLOAD_TOO_LARGE, VALIDATION_FAILED, NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, CONCURRENT_UPDATE, TRANSIENT_DEPENDENCY, INTERNAL',
      }),
      message: z.string().meta({ description: 'For people: what is wrong and, where it helps, what to do.' }),
      details: z
        .array(
          z.object({
            in: z.enum(['path', 'query', 'header', 'body']),
            path: z
              .array(z.union([z.string(), z.number()]))
              .meta({ description: 'zod field path within `in`, e.g. ["contacts", 3, "email"]' }),
            message: z.string(),
          }),
        )
        .meta({ description: 'One entry per problem found; empty when the message says it all.' }),
    }),
  })
  .meta({ id: 'Error', description: 'Every error answer has this shape; it never carries a stack trace or raw exception text.' });

const errorText: Record<number, string> = {
  400: 'The request cannot be read: empty or malformed JSON body, an invalid path, query or header parameter, or an invalid cursor.',
  404: 'No such resource.',
  409: 'The request conflicts with the current state (e.g. sending a campaign that is not a draft).',
  413: `The body exceeds ${MAX_BODY_BYTES} bytes.`,
  415: 'The Content-Type is not one this operation accepts.',
  422: 'The body is JSON but breaks the schema or a rule (wrong type, unknown or missing field, invalid email, unknown placeholder, CR/LF in a header field); `details` lists every problem with its zod path.',
  500: 'An unexpected error; the body never holds a stack trace.',
  503: 'A dependency refused for now (throttling); retry with backoff (with the same Idempotency-Key where there is one).',
};

/** The document's response for an error status. */
export const errorResponse = (status: number) => ({
  description: errorText[status]!,
  content: { 'application/json': { schema: errorSchema } },
});
