import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../lib/common/backoff';
import { batchSizeFor, bookSends } from '../../lib/sending/pacing';

describe('pacing at the account send rate', () => {
  it('books calls back to back, each going at the start of its last interval', () => {
    let tat: number | undefined;
    const sendAts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const booked = bookSends(tat, 1_000, 10, 20); // 10 messages at 20/s: 500 ms each call
      tat = booked.tat;
      sendAts.push(booked.sendAt);
    }
    expect(sendAts).toEqual([1_450, 1_950, 2_450, 2_950]);
  });

  it('keeps any window of time within the rate, however many senders book', () => {
    // Three senders interleave bookings of different sizes; replay the calls through SES's bucket.
    const rate = 14;
    let tat: number | undefined;
    const calls: { at: number; n: number }[] = [];
    for (let i = 0; i < 60; i++) {
      const n = 1 + (i % 14);
      const now = i * 40; // the senders ask faster than the rate allows
      const { tat: next, sendAt } = bookSends(tat, now, n, rate);
      tat = next;
      calls.push({ at: Math.max(now, sendAt), n });
    }
    calls.sort((a, b) => a.at - b.at);
    let tokens = rate; // a bucket of one second, refilled continuously
    let last = 0;
    for (const c of calls) {
      tokens = Math.min(rate, tokens + ((c.at - last) / 1000) * rate);
      last = c.at;
      expect(tokens).toBeGreaterThanOrEqual(c.n - 1e-9); // every call fits: never throttled, even without SES's overdraft
      tokens -= c.n;
    }
  });

  it('restarts after an idle spell instead of bursting the time it did not use', () => {
    expect(bookSends(500, 10_000, 1, 10)).toEqual({ tat: 10_100, sendAt: 10_000 });
  });

  it('never puts more than one second of sends in a call, and at most the provider batch', () => {
    expect([batchSizeFor(1, 50), batchSizeFor(14, 50), batchSizeFor(14.9, 50), batchSizeFor(500, 50), batchSizeFor(0.5, 50)]).toEqual([
      1, 14, 14, 50, 1,
    ]);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const backoff = (attempt: number, random: () => number) => backoffDelay(attempt, { baseMs: 250, capMs: 8_000, random });
    expect([0, 1, 2, 3, 10].map((a) => backoff(a, () => 1))).toEqual([250, 500, 1000, 2000, 8000]);
    expect(backoff(3, () => 0)).toBe(0);
  });
});
