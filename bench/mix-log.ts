import type { EngagementEvent } from '../lib/engagement/ses-event';
import { eventAppender, prng } from '../test/support/event-log';
import { assumptions } from './assumptions';

const links = ['https://acme.example/pricing', 'https://acme.example/blog/q3'];
const person = 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0';

/**
 * An event log with the cost model's mix of event types (bench/assumptions.ts), so that what the
 * benchmark measures per email is what the model charges per email: Send for every email, then
 * Delivery or Bounce, Opens spread over a quarter of the deliveries (1–3 each), Clicks among the
 * openers, the odd Complaint. Seeded: the same log every run.
 */
export function generateMixLog(options: { emails: number; campaignId?: string; seed?: number }): EngagementEvent[] {
  const mix = assumptions.eventsPerEmail;
  const random = prng(options.seed ?? 11);
  const campaignId = options.campaignId ?? 'cmp_0';
  const base = Date.parse('2026-03-02T14:00:00.000Z');
  const events: EngagementEvent[] = [];
  // Opens: a quarter of the deliveries open, 1–3 times (mean 2), for `mix.open` opens per email.
  const openerShare = mix.open / mix.delivery / 2;
  const clickerShare = mix.click / mix.delivery / openerShare;
  for (let i = 0; i < options.emails; i++) {
    const contactId = `ct_${i}`;
    const messageId = `mix-${i}`;
    const sentAt = new Date(base + i * 10).toISOString();
    const ev = eventAppender(events, { campaignId, contactId, messageId, sentAt });
    ev('send', 0);
    if (random() < mix.bounce / (mix.bounce + mix.delivery)) {
      ev('bounce', 2_000, { bounceType: 'Permanent' });
      continue;
    }
    ev('delivery', 1_500);
    if (random() < openerShare) {
      const opens = 1 + Math.floor(random() * 3);
      for (let o = 0; o < opens; o++) ev('open', 600_000 + o * 3_600_000, { userAgent: person, ipAddress: '198.51.100.7' });
      if (random() < clickerShare) ev('click', 700_000, { link: links[Math.floor(random() * 2)]!, userAgent: person });
    }
    if (random() < mix.complaint / mix.delivery) ev('complaint', 86_400_000);
  }
  return events;
}

/** Events per email of each type in a log: the mix actually measured. */
export function mixOf(log: EngagementEvent[], emails: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of log) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).map(([type, n]) => [type, Number((n / emails).toFixed(4))]));
}
