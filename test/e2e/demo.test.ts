import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../demo/demo';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import { parseSesEvent, type EngagementEvent } from '../../lib/engagement/ses-event';
import { asRecount, fieldsOf, recount } from '../support/recount';
import { logger } from '../../functions/observability';

logger.setLogLevel('ERROR');
let first: DemoResult;
let second: DemoResult;
type InboxMail = { destination: { to: string[] }; subject: string; body: { text?: string } };
let firstInbox: InboxMail[];

beforeAll(async () => {
  first = await runDemo({ size: 300, seed: 7, keepRunning: true });
  firstInbox = ((await (await fetch(`${first.runtime.inboxUrl}/store`)).json()) as { emails: InboxMail[] }).emails;
  await first.runtime.stop();
  second = await runDemo({ size: 300, seed: 7 });
}, 120_000);

describe('the demo path end to end on the embedded stand-ins', () => {
  it('sends, records, qualifies, notifies and reports', () => {
    const s = first.summary;
    expect(s.sent).toBeGreaterThan(250);
    expect(s.delivered + s.bounced).toBe(s.sent);
    expect(s.uniqueOpens).toBeGreaterThan(0);
    expect(s.human.uniqueClicks).toBeGreaterThan(0);
    expect(s.mqls).toBeGreaterThan(0);
    expect(s.notificationsSent).toBe(s.mqls);
    expect(s.report.keys.html).toMatch(/report\.html$/);
  });

  it('reports figures equal to an independent recount of the events SES published', () => {
    const events = first.published.map((e) => parseSesEvent(e)).flatMap((r) => (r.ok ? [r.event] : []));
    expect(events).toHaveLength(first.published.length);
    const expected = recount(events as EngagementEvent[], first.summary.campaignId, defaultMachineRules);
    const compared = [
      'sent',
      'delivered',
      'bounced',
      'uniqueOpens',
      'uniqueClicks',
      'totalOpens',
      'totalClicks',
      'humanUniqueOpens',
      'humanUniqueClicks',
    ] as const;
    expect(fieldsOf(asRecount(first.metrics), compared)).toEqual(fieldsOf(expected, compared));
  });

  it('gives the same figures twice in a row for the same seed', () => {
    const { campaignId: _a, inboxUrl: _b, report: _c, ...a } = first.summary;
    const { campaignId: _d, inboxUrl: _e, report: _f, ...b } = second.summary;
    expect(b).toEqual(a);
  });

  it('delivers exactly one sales email per MQL to the local SES inbox, saying why', () => {
    const toSales = firstInbox.filter((m) => m.destination.to.includes('sales@acme.example'));
    expect(toSales).toHaveLength(first.summary.mqls);
    expect(toSales[0]!.subject).toMatch(/^(New MQL|Hand-raiser): /);
    expect(toSales[0]!.body.text).toMatch(/Why:\n- Fit: industry is /);
    const campaignMail = firstInbox.filter((m) => !m.destination.to.includes('sales@acme.example'));
    expect(campaignMail).toHaveLength(first.summary.sent);
  });

  it('tags what it sends with campaignId and contactId', () => {
    const send = first.published.find((e) => e['detail-type'] === 'Email Sent')!;
    const tags = (send.detail as { mail: { tags: Record<string, string[]> } }).mail.tags;
    expect(tags.campaignId).toEqual([first.summary.campaignId]);
    expect(tags.contactId?.[0]).toMatch(/^ct2_/);
  });
});
