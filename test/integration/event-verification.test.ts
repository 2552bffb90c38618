import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../demo/demo';
import { logger } from '../../functions/observability';
import { localClientConfig } from '../../infra/local/stand-ins';
import { sesEvent, type MailFacts } from '../../infra/local/ses-events';
import { computeMetrics } from '../../lib/engagement/metrics';
import type { RecipientRow } from '../../lib/engagement/recipient-view';
import { parseSesEvent } from '../../lib/engagement/ses-event';

logger.setLogLevel('ERROR');
let demo: DemoResult;
let campaignId: string;

beforeAll(async () => {
  demo = await runDemo({ size: 60, seed: 5, keepRunning: true });
  campaignId = demo.summary.campaignId;
}, 180_000);
afterAll(async () => demo?.runtime.stop());

const human = {
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/128.0 Safari/537.36',
  ipAddress: '198.51.100.7',
};

/** What the pipeline shows for the campaign: counts, per-link stats, MQLs. */
async function figures() {
  const { counters, linkUrls } = await demo.runtime.app.adapters.engagement.campaignCounters(campaignId);
  const leads = await demo.runtime.app.listCampaignLeads(campaignId);
  return { metrics: computeMetrics(counters), linkUrls, leads: leads.items.map((l) => l.contactId).sort() };
}

async function deadLetterReasons(): Promise<string[]> {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(demo.runtime.endpoints.dynamodb)));
  const today = new Date().toISOString().slice(0, 10);
  const out = await db.send(
    new QueryCommand({
      TableName: 'mql-pipeline',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `DEADLETTER#${today}` },
    }),
  );
  return (out.Items ?? []).map((i) => String(i.reason));
}

/** A recipient the local SES really sent the campaign to, as its Send event names it. */
function sentMail(): MailFacts {
  const send = demo.published
    .map((e) => parseSesEvent(e))
    .find((p) => p.ok && p.event.type === 'send' && p.event.campaignId === campaignId);
  if (!send?.ok) throw new Error('no Send event published');
  const e = send.event;
  return {
    messageId: e.messageId,
    sentAt: e.sentAt,
    from: 'Acme Marketing <news@acme.example>',
    to: 'someone@northwind.example',
    subject: 's',
    configurationSet: 'mql-pipeline-events',
    campaignId,
    contactId: e.contactId,
  };
}

const later = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
const DAY = 86_400_000;

describe('SES events checked against what was sent', () => {
  it('sets forged, foreign, unknown, out-of-window and oversized events aside with their reason, changing nothing', async () => {
    const before = await figures();
    const lettersBefore = (await deadLetterReasons()).length;
    const mail = sentMail();
    const click = (m: MailFacts, facts: Partial<Parameters<typeof sesEvent>[2]> = {}) =>
      sesEvent('Click', m, { at: later(m.sentAt, 3_600_000), link: 'https://acme.example/report/q3-cloud-costs', ...human, ...facts });
    const mismatched = click(mail);
    mismatched.account = '111122223333'; // the bus says one account, the message another
    const cases: [string, unknown][] = [
      ['SES message id does not match the send', click({ ...mail, messageId: 'forged-0001' })],
      ['foreign account: 111122223333', click({ ...mail, account: '111122223333' })],
      ['foreign account: sendingAccountId 000000000000 is not the bus account', mismatched],
      ['foreign configuration set: someone-elses-set', click({ ...mail, configurationSet: 'someone-elses-set' })],
      ['unknown campaign cmp_doesnotexist', click({ ...mail, campaignId: 'cmp_doesnotexist' })],
      ['contact was not sent this campaign', click({ ...mail, contactId: 'ct_neverincluded' })],
      ['out of window: more than 90 days after its send', click(mail, { at: later(mail.sentAt, 91 * DAY) })],
      ['out of window: more than 90 days after its send', click(mail, { at: '9999-12-31T23:59:59.000Z' })],
      ['dated before its send', click(mail, { at: later(mail.sentAt, -3_600_000) })],
      ['dated before its send: before the campaign was sent', click({ ...mail, sentAt: '2020-01-01T00:00:00.000Z' })],
      ['link over 2048 characters', click(mail, { link: `https://acme.example/${'x'.repeat(3000)}` })],
      ['oversized tag', click(mail, { linkTags: { intent: ['y'.repeat(300)] } })],
      ['mail timestamp after the send was recorded', click({ ...mail, sentAt: later(mail.sentAt, 10 * DAY) })],
    ];
    await demo.runtime.queues.events.send(cases.map(([, e]) => JSON.stringify(e)));
    await demo.runtime.settle();

    const reasons = (await deadLetterReasons()).slice(lettersBefore);
    for (const [expected] of cases)
      expect({ expected, found: reasons.some((r) => r.startsWith(expected)) }).toEqual({ expected, found: true });
    expect(reasons).toHaveLength(cases.length);
    expect(await figures()).toEqual(before);
    expect(demo.runtime.queues.events.deadLetters).toEqual([]);
    // The report of the campaign still renders.
    await expect(demo.runtime.app.writeCampaignReport(campaignId)).resolves.toBeDefined();
  });

  it('lets an event whose send has no outcome recorded yet wait and come back, and accepts its Send event for the takeover', async () => {
    const { runtime } = demo;
    const sending = { ...(await runtime.app.adapters.campaigns.get(campaignId))!, campaignId: 'cmp_inflight', status: 'sending' as const };
    await runtime.app.adapters.campaigns.create(sending);
    const eventsOf = (m: MailFacts) =>
      [sesEvent('Send', m), sesEvent('Delivery', m, { at: later(m.sentAt, 1_000) })].map((e, i) => {
        const parsed = parseSesEvent(e);
        if (!parsed.ok) throw new Error(parsed.rejected.reason);
        return { messageId: `${m.campaignId}-${i}`, event: parsed.event };
      });
    const inFlight: MailFacts = { ...sentMail(), campaignId: 'cmp_inflight', contactId: 'ct_inflight', messageId: 'in-flight-0001' };
    const verified = await runtime.app.verifyEvents(eventsOf(inFlight));
    expect(verified).toEqual({
      accepted: [expect.objectContaining({ messageId: 'cmp_inflight-0' })],
      confirmed: [],
      setAside: [],
      waiting: ['cmp_inflight-1'],
    });
    // The same on a campaign whose every recipient has an outcome: nobody is in flight, so it was never sent to them.
    const done = await runtime.app.verifyEvents(eventsOf({ ...inFlight, campaignId }));
    expect(done.setAside.map((s) => s.reason)).toEqual(['contact was not sent this campaign', 'contact was not sent this campaign']);
  });

  it("acknowledges a Send event that only confirms the sender's record without a write; the next event counts the send once, in any order, under replays", async () => {
    const { runtime } = demo;
    const cmp = 'cmp_confirmed';
    const base = (await runtime.app.adapters.campaigns.get(campaignId))!;
    await runtime.app.adapters.campaigns.create({ ...base, campaignId: cmp, status: 'sending' });
    const mail: MailFacts = { ...sentMail(), campaignId: cmp, contactId: 'ct_confirmed', messageId: 'confirmed-0001' };
    await runtime.app.adapters.ledger.recordOutcomes(cmp, [
      { contactId: mail.contactId, messageId: mail.messageId, at: mail.sentAt, state: 'sent' },
    ]);
    const send = JSON.stringify(sesEvent('Send', mail));
    const delivery = JSON.stringify(sesEvent('Delivery', mail, { at: later(mail.sentAt, 1_000) }));
    const counts = async () => {
      const m = computeMetrics((await runtime.app.adapters.engagement.campaignCounters(cmp)).counters);
      return { sent: m.sent, delivered: m.delivered };
    };
    const stored = async () => runtime.app.adapters.engagement.getRecipients([{ campaignId: cmp, contactId: mail.contactId }]);

    // The Send event, twice: acknowledged, nothing written, nothing counted, nothing set aside.
    const lettersBefore = (await deadLetterReasons()).length;
    await runtime.queues.events.send([send, send]);
    await runtime.settle();
    expect((await stored()).size).toBe(0);
    expect(await counts()).toEqual({ sent: 0, delivered: 0 });
    // The per-recipient view still lists them as sent, from the sender's record.
    const listed = async () => (await runtime.app.listCampaignRecipients(cmp)).items.map((r) => [r.contactId, r.status, r.messageId]);
    expect(await listed()).toEqual([[mail.contactId, 'sent', mail.messageId]]);

    // The Delivery records the Send it implies: the message counts as sent once.
    await runtime.queues.events.send([delivery]);
    await runtime.settle();
    expect(await counts()).toEqual({ sent: 1, delivered: 1 });
    expect(await listed()).toEqual([[mail.contactId, 'delivered', mail.messageId]]);
    const state = [...(await stored()).values()][0]!.state;
    expect(state.sentAt).toBe(new Date(mail.sentAt).toISOString());

    // Everything again, in the other order and twice: the counts do not move.
    await runtime.queues.events.send([delivery, send, delivery, send]);
    await runtime.settle();
    expect(await counts()).toEqual({ sent: 1, delivered: 1 });
    expect((await deadLetterReasons()).length).toBe(lettersBefore);
    expect(runtime.queues.events.deadLetters).toEqual([]);

    // A Send event whose send has no outcome recorded (a crashed sender's) is still recorded at full price, for the takeover.
    const unrecorded: MailFacts = { ...mail, contactId: 'ct_unrecorded', messageId: 'unrecorded-0001' };
    await runtime.queues.events.send([JSON.stringify(sesEvent('Send', unrecorded))]);
    await runtime.settle();
    const taken = await runtime.app.adapters.engagement.getRecipients([{ campaignId: cmp, contactId: unrecorded.contactId }]);
    expect([...taken.values()][0]?.state.sentAt).toBe(new Date(unrecorded.sentAt).toISOString());
    expect(await counts()).toEqual({ sent: 2, delivered: 1 });
  });

  it('renders the report of a campaign whose stored activity includes a click dated 9999-12-31', async () => {
    const mail = sentMail();
    const stray = parseSesEvent(sesEvent('Click', mail, { at: '9999-12-31T23:59:59.000Z', link: 'https://acme.example/stray', ...human }));
    if (!stray.ok) throw new Error('fixture did not parse');
    // And a click a moment ago: the demo's simulated opens and clicks are dated hours after their
    // send, mostly after the report's moment, so without it the series could be empty by the clock.
    const recent = parseSesEvent(sesEvent('Click', mail, { at: new Date().toISOString(), link: 'https://acme.example/recent', ...human }));
    if (!recent.ok) throw new Error('fixture did not parse');
    // Stored as it was before events were checked (recordEngagement does not check: the handler does).
    const stored = await demo.runtime.app.recordEngagement([
      { messageId: 'old', event: stray.event },
      { messageId: 'recent', event: recent.event },
    ]);
    expect(stored.failedMessageIds).toEqual([]);
    const written = await demo.runtime.app.writeCampaignReport(campaignId);
    expect(written.report.activity.points.length).toBeGreaterThan(0);
    expect(written.report.activity.points.length).toBeLessThanOrEqual(401);
    expect(written.report.activity.points.every((p) => p.at < '9999')).toBe(true);
  });

  it('lists each recipient through the API, and the rows add up to the campaign counts', async () => {
    const rows: RecipientRow[] = [];
    let cursor: string | undefined;
    do {
      const r = await fetch(
        `${demo.runtime.apiUrl}/campaigns/${campaignId}/recipients${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(r.status).toBe(200);
      const body = (await r.json()) as { items: RecipientRow[]; cursor?: string };
      rows.push(...body.items);
      cursor = body.cursor;
    } while (cursor);
    const { metrics } = await figures();
    const count = (f: (r: RecipientRow) => boolean) => rows.filter(f).length;
    expect({
      sent: rows.length,
      bounced: count((r) => r.status === 'bounced'),
      uniqueOpens: count((r) => r.opened),
      humanOpens: count((r) => r.humanOpened),
      uniqueClicks: count((r) => r.clicked),
      humanClicks: count((r) => r.humanClicked),
    }).toEqual({
      sent: metrics.sent,
      bounced: metrics.bounced,
      uniqueOpens: metrics.uniqueOpens,
      humanOpens: metrics.human.uniqueOpens,
      uniqueClicks: metrics.uniqueClicks,
      humanClicks: metrics.human.uniqueClicks,
    });
    expect(rows.every((r) => r.email?.includes('@') && r.messageId)).toBe(true);
    expect(rows.some((r) => r.opened && !r.humanOpened && r.machineReasons.length)).toBe(true);
    expect((await fetch(`${demo.runtime.apiUrl}/campaigns/cmp_nope/recipients`)).status).toBe(404);
  });
});
