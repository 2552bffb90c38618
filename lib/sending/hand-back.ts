/**
 * A run (fan-out page or send job) that a dependency failed under hands itself back to the queue
 * with what it holds, instead of failing the message: the claims it may hold, so the continuation
 * takes them at once instead of waiting out the lease.
 */
import { randomUUID } from 'node:crypto';
import { backoffDelay } from '../common/backoff';
import type { ClaimAttempt } from './ports';

/** Tokens a continuation carries at most: consecutive claims whose answers were all lost (then the lease settles it). */
const MAX_HANDED_OVER = 8;

/**
 * A new claim attempt. Until the answer comes the run may hold the claim under the new token or
 * under one handed over to it (the answer may be lost), so `run.claims` lists them all.
 */
export function newClaimAttempt(run: { claims: string[] }, at: Date, leaseMs: number): ClaimAttempt {
  const token = randomUUID();
  const handedOver = run.claims;
  run.claims = [token, ...handedOver].slice(0, MAX_HANDED_OVER);
  return { token, handedOver, at, leaseMs };
}

/** The delay of a hand-back after a dependency failed: 1 s, doubling per hand-back in a row without progress, at most 5 min (well within the claim's lease). */
export function handBackDelaySeconds(stalls: number): number {
  return backoffDelay(stalls - 1, { baseMs: 1_000, capMs: 300_000, jitter: 'none' }) / 1000;
}

export const orUndefined = <T>(items: T[]) => (items.length ? items : undefined);
