import { shortHash } from '../../lib/common/ids';
import type { EngagementEvent } from '../../lib/engagement/ses-event';
import { seededRandom } from '../../lib/common/random';

/** The project's seeded generator, so generated logs are the same on every run. */
export const prng = seededRandom;

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const links = ['https://acme.example/pricing', 'https://acme.example/blog/q3', 'https://acme.example/demo'];

/** The unsubscribe base URL of the generated log's messages (the pipeline's own links live under it). */
export const LOG_UNSUBSCRIBE_BASE_URL = 'https://acme.example/u';

/**
 * Appends one recipient's events to `events`, each `offsetMs` after its send, with the content-derived
 * key the pipeline gives an SES event (the same event twice has the same key).
 */
export function eventAppender(events: EngagementEvent[], mail: Pick<EngagementEvent, 'campaignId' | 'contactId' | 'messageId' | 'sentAt'>) {
  return (type: EngagementEvent['type'], offsetMs: number, extra: Partial<EngagementEvent> = {}) => {
    const at = new Date(Date.parse(mail.sentAt) + offsetMs).toISOString();
    const e: EngagementEvent = { key: '', type, ...mail, at, ...extra };
    e.key = shortHash([type, mail.messageId, at, e.link ?? '', e.userAgent ?? ''].join('|'), 16);
    events.push(e);
  };
}

/**
 * A recorded-looking log of engagement events over `recipients` recipients of `campaigns`
 * campaigns: sends, deliveries, bounces, human and machine opens, clicks, scanner bursts. With
 * `ownLinkClicks`, also what SES reports when the unsubscribe link is tracked: Click events on each
 * recipient's own unsubscribe URL, untagged, by the scanner that follows every link and by people
 * (drawn without touching the random stream, so the rest of the log is the same either way).
 */
export function generateEventLog(options: {
  recipients: number;
  campaigns?: number;
  seed?: number;
  ownLinkClicks?: boolean;
}): EngagementEvent[] {
  const random = prng(options.seed ?? 7);
  const campaigns = options.campaigns ?? 2;
  const events: EngagementEvent[] = [];
  const base = Date.parse('2026-03-02T14:00:00.000Z');
  for (let i = 0; i < options.recipients; i++) {
    const campaignId = `cmp_${i % campaigns}`;
    const contactId = `ct_${i}`;
    const messageId = `msg-${i}`;
    const sentAt = new Date(base + i * 10).toISOString();
    const ev = eventAppender(events, { campaignId, contactId, messageId, sentAt });
    ev('send', 0);
    const r = random();
    if (r < 0.03) {
      ev('bounce', 2_000, { bounceType: random() < 0.8 ? 'Permanent' : 'Transient' });
      continue;
    }
    ev('delivery', 1_500);
    if (random() < 0.3) ev('deliveryDelay', 1_000, { reason: 'TransientCommunicationFailure' });
    if (random() < 0.55) {
      // Apple Mail Privacy Protection fetches the pixel again and again.
      const proxyOpens = 1 + Math.floor(random() * 10);
      for (let o = 0; o < proxyOpens; o++)
        ev('open', 60_000 + Math.floor(random() * 86_400_000), { userAgent: 'Mozilla/5.0', ipAddress: '17.58.1.2' });
    }
    const unsubscribeUrl = `${LOG_UNSUBSCRIBE_BASE_URL}/${shortHash(contactId, 12)}`;
    const scanned = options.ownLinkClicks ? [...links, unsubscribeUrl] : links;
    if (random() < 0.02)
      for (const link of scanned) ev('click', 3_000, { link, userAgent: 'Mozilla/5.0 (compatible; Barracuda Sentinel)' });
    // A person following the (tracked) unsubscribe link, now and then twice.
    if (options.ownLinkClicks && i % 7 === 0)
      for (let c = 0; c <= (i % 3 === 0 ? 1 : 0); c++)
        ev('click', 5_000_000 + c * 60_000, { link: unsubscribeUrl, userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0' });
    if (random() < 0.6) {
      const opens = 1 + Math.floor(random() * 16);
      for (let o = 0; o < opens; o++)
        ev('open', 600_000 + Math.floor(random() * 86_400_000), {
          userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0',
          ipAddress: '198.51.100.7',
        });
      if (random() < 0.3) {
        const clicks = 1 + Math.floor(random() * 3);
        for (let c = 0; c < clicks; c++)
          ev('click', 700_000 + Math.floor(random() * 86_400_000), {
            link: links[Math.floor(random() * 2)]!,
            userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0',
          });
      }
      if (random() < 0.05)
        ev('click', 800_000, {
          link: 'https://acme.example/u/unsub',
          linkTags: { intent: ['unsubscribe'] },
          userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0',
        });
    } else if (random() < 0.03) {
      ev('click', 900_000, { link: links[0]!, userAgent: 'Mozilla/5.0 (Macintosh) Safari/605' }); // images blocked: click, no open
    }
    if (random() < 0.01) ev('complaint', 3_600_000);
    if (random() < 0.01) ev('subscription', 3_700_000, { unsubscribeAll: true });
  }
  return events;
}
