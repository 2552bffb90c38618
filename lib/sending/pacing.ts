/**
 * Pacing at the account's send rate, shared by every concurrent sender: here is where the sender
 * waits for SES's rate (`waitForSendSlot`, called per batch by send-batches.ts). The schedule itself
 * is one stored number, kept by the limiter adapter adapters/dynamodb/send-rate-limiter.ts, which
 * books with `bookSends`.
 */
import type { SendRateLimiter } from './ports';

/**
 * GCRA (the generic cell rate algorithm, as in ATM networks and most API gateways): one number, the
 * theoretical arrival time `tat`, is the moment the booked schedule ends. Booking `count` messages
 * moves it by `count` intervals; a call may go at the start of its last interval. So the calls of
 * all senders, whoever booked them, are spaced exactly as the rate allows, and a call never carries
 * more than it has waited for (SES accepts a call while the account has send quota left, then
 * refuses everything until the quota is paid back: a token bucket). An idle limiter does not bank
 * unused time beyond one interval, so there is no burst after a pause.
 */
export function bookSends(tat: number | undefined, now: number, count: number, perSecond: number): { tat: number; sendAt: number } {
  const interval = 1000 / perSecond;
  const start = tat === undefined || tat < now - interval ? now : tat;
  const end = start + count * interval;
  return { tat: end, sendAt: end - interval };
}

/** Most messages per call: one second's worth at most, so a call fits SES's bucket even at low rates. */
export function batchSizeFor(perSecond: number, maxBatch: number): number {
  return Math.max(1, Math.min(maxBatch, Math.floor(perSecond)));
}

/**
 * Books `count` messages on the shared schedule and waits for the booked slot. False, without
 * waiting, when the slot falls at or after the deadline: the booked slot goes unused (spare quota, never excess).
 */
export async function waitForSendSlot(
  limiter: SendRateLimiter,
  booking: { count: number; perSecond: number; deadline?: number },
  now: () => number,
  sleep: (ms: number) => Promise<void>,
): Promise<boolean> {
  const sendAt = await limiter.reserve(booking.count, booking.perSecond, now());
  if (booking.deadline !== undefined && sendAt >= booking.deadline) return false;
  if (sendAt > now()) await sleep(sendAt - now());
  return true;
}
