import { ConflictError, ValidationError } from './errors';
import type { Clock } from './ports';

/**
 * Idempotency-Key on creating requests (the IETF httpapi draft, as Stripe does it): the first
 * request with a key reserves it with a fingerprint of its body, runs, and stores its answer; a
 * repeat with the same key and body gets that answer again (`replayed`), nothing runs twice; the
 * same key with another body is refused (422); a repeat while the first still runs is 409. A
 * failed request frees its key, so the caller can retry it. Keys are kept 24 hours.
 */
export interface StoredAnswer {
  status: number;
  /** The answer's JSON, absent when too large to keep (a repeat is then told to read the resource). */
  body?: string;
  headers?: Record<string, string>;
}

export type Reservation =
  | { state: 'reserved' }
  | { state: 'pending'; fingerprint: string }
  | { state: 'done'; fingerprint: string; answer: StoredAnswer };

export interface IdempotencyStore {
  /** Reserves `key` in `scope` for this fingerprint, or answers what holds it already. */
  reserve(scope: string, key: string, fingerprint: string, expiresAt: number): Promise<Reservation>;
  complete(scope: string, key: string, answer: StoredAnswer): Promise<void>;
  release(scope: string, key: string): Promise<void>;
  /**
   * Right to erasure: rewrites every kept answer (expired ones included, until DynamoDB's TTL has
   * deleted them) whose JSON text `redact` changes; answers how many.
   */
  redactAnswers(redact: (json: string) => string | undefined): Promise<number>;
}

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** Answers larger than this are not kept (a DynamoDB item holds 400 KB). */
const MAX_KEPT_BODY = 300_000;

export async function idempotentRequest(
  deps: { idempotency: IdempotencyStore; clock: Clock },
  request: { scope: string; key: string; fingerprint: string },
  run: () => Promise<StoredAnswer>,
): Promise<StoredAnswer & { replayed: boolean }> {
  const { scope, key, fingerprint } = request;
  const expiresAt = Math.floor(deps.clock.now().getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS;
  const held = await deps.idempotency.reserve(scope, key, fingerprint, expiresAt);
  if (held.state !== 'reserved') {
    if (held.fingerprint !== fingerprint) {
      throw new ValidationError('this Idempotency-Key was used with a different request body; use a new key for a new request', [
        { path: ['Idempotency-Key'], message: 'reused with a different body' },
      ]);
    }
    if (held.state === 'pending') throw new ConflictError('a request with this Idempotency-Key is still running; retry shortly');
    if (held.answer.body === undefined)
      throw new ConflictError('the request with this Idempotency-Key was done already; read the resource it made');
    return { ...held.answer, replayed: true };
  }
  let answer: StoredAnswer;
  try {
    answer = await run();
  } catch (error) {
    await deps.idempotency.release(scope, key);
    throw error;
  }
  if (answer.status >= 300) {
    await deps.idempotency.release(scope, key);
  } else {
    const kept = answer.body !== undefined && answer.body.length > MAX_KEPT_BODY ? { ...answer, body: undefined } : answer;
    await deps.idempotency.complete(scope, key, kept);
  }
  return { ...answer, replayed: false };
}
