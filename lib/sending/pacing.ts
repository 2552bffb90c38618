/**
 * Pacing at the account's send rate, shared by every concurrent sender.
 *
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

/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export function backoffMs(attempt: number, random: () => number, baseMs = 250, capMs = 8_000): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
