import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulatorScenario } from '../../infra/local/mailbox-simulator';
import { type DeliveryOutcome, SesPlayback } from '../../infra/local/ses-playback';
import { parseSesEvent } from '../../lib/engagement/ses-event';
import type { OutgoingMessage, SendOutcome } from '../../lib/sending/ports';

/**
 * The SES mailbox simulator, played by the local SES (docs/ses-stand-in.md, "Mailbox simulator"):
 * each test here is a row of that table. As in test/unit/ses-stand-in.test.ts, the playback wraps a
 * recording sender in place of aws-ses-v2-local, so what SES would publish can be read.
 */
function standIn(outcome?: (to: string) => DeliveryOutcome) {
  const published: Record<string, unknown>[] = [];
  let n = 0;
  const inner = {
    maxBatch: 50,
    send: async (_m: OutgoingMessage) => ({ messageId: `ses-${++n}` }),
    sendBatch: async (ms: OutgoingMessage[]): Promise<SendOutcome[]> => ms.map(() => ({ ok: true as const, messageId: `ses-${++n}` })),
  };
  const playback = new SesPlayback(inner, {
    publish: async (e) => void published.push(e),
    trackingBaseUrl: 'http://127.0.0.1:3000/t',
    configurationSetName: 'mql-pipeline-events',
    clock: { now: () => new Date('2026-03-02T14:00:00Z') },
    outcome,
  });
  const send = (to: string, contactId = 'ct_1') =>
    playback.send({
      from: 'news@acme.example',
      to,
      subject: 'Q3',
      html: '<p>Hi</p>',
      text: 'Hi',
      headers: {},
      tags: { campaignId: 'cmp_1', contactId },
    });
  type Detail = { eventType: string; mail: { destination: string[]; messageId: string }; [record: string]: unknown };
  const details = () => published.map((e) => e.detail as Detail);
  /** The event types published for a message, in order. */
  const typesOf = (messageId: string) => details().flatMap((d) => (d.mail.messageId === messageId ? [d.eventType] : []));
  const parsed = () => published.map((e) => parseSesEvent(e)).flatMap((r) => (r.ok ? [r.event] : []));
  return { send, published, details, typesOf, parsed };
}

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, '../fixtures/ses-eventbridge', `${name}.json`), 'utf8')) as { detail: Record<string, unknown> };
const keys = (o: unknown) => Object.keys(o as object).sort();

describe('the local SES answers for the mailbox simulator as SES does', () => {
  it('success@: Send, then Delivery to that address, nothing else', async () => {
    const s = standIn();
    const { messageId } = await s.send('success@simulator.amazonses.com');
    expect(s.typesOf(messageId)).toEqual(['Send', 'Delivery']);
    const delivery = s.details()[1]!.delivery as { recipients: string[] };
    expect(delivery.recipients).toEqual(['success@simulator.amazonses.com']);
  });

  it('bounce@: Send, then a permanent bounce (550 5.1.1 user unknown) and no Delivery', async () => {
    const s = standIn();
    const { messageId } = await s.send('bounce@simulator.amazonses.com');
    expect(s.typesOf(messageId)).toEqual(['Send', 'Bounce']);
    const bounce = s.details()[1]!.bounce as { bounceType: string; bounceSubType: string; bouncedRecipients: Record<string, string>[] };
    expect([bounce.bounceType, bounce.bounceSubType]).toEqual(['Permanent', 'General']);
    expect(bounce.bouncedRecipients).toEqual([
      { emailAddress: 'bounce@simulator.amazonses.com', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' },
    ]);
    expect(s.parsed().find((e) => e.type === 'bounce')).toMatchObject({
      bounceType: 'Permanent',
      bounceSubType: 'General',
      contactId: 'ct_1',
    });
  });

  it('bounce@ is not put on the suppression list: a second send bounces the same way, never as suppressed', async () => {
    const s = standIn();
    await s.send('bounce@simulator.amazonses.com');
    await s.send('bounce@simulator.amazonses.com');
    const bounces = s.details().flatMap((d) => (d.eventType === 'Bounce' ? [d.bounce as { bounceSubType: string }] : []));
    expect(bounces.map((b) => b.bounceSubType)).toEqual(['General', 'General']);
  });

  it('complaint@: Send, Delivery, then a Complaint (abuse) naming that address', async () => {
    const s = standIn();
    const { messageId } = await s.send('complaint@simulator.amazonses.com');
    expect(s.typesOf(messageId)).toEqual(['Send', 'Delivery', 'Complaint']);
    const complaint = s.details()[2]!.complaint as { complainedRecipients: unknown[]; complaintFeedbackType: string; timestamp: string };
    expect(complaint.complainedRecipients).toEqual([{ emailAddress: 'complaint@simulator.amazonses.com' }]);
    expect(complaint.complaintFeedbackType).toBe('abuse');
    const delivery = s.details()[1]!.delivery as { timestamp: string };
    expect(Date.parse(complaint.timestamp)).toBeGreaterThan(Date.parse(delivery.timestamp));
    expect(s.parsed().find((e) => e.type === 'complaint')).toMatchObject({ complaintFeedbackType: 'abuse', contactId: 'ct_1' });
  });

  it('suppressionlist@: Send, then a hard bounce as for a suppressed address (Permanent, Suppressed) and no Delivery', async () => {
    const s = standIn();
    const { messageId } = await s.send('suppressionlist@simulator.amazonses.com');
    expect(s.typesOf(messageId)).toEqual(['Send', 'Bounce']);
    const bounce = s.details()[1]!.bounce as { bounceType: string; bounceSubType: string; bouncedRecipients: { diagnosticCode: string }[] };
    expect([bounce.bounceType, bounce.bounceSubType]).toEqual(['Permanent', 'Suppressed']);
    expect(bounce.bouncedRecipients[0]!.diagnosticCode).toMatch(/suppressed sending to this address/);
  });

  it('ooto@: Send, Delivery, then the automatic reply as a Transient/General bounce without a DSN', async () => {
    const s = standIn();
    const { messageId } = await s.send('ooto@simulator.amazonses.com');
    expect(s.typesOf(messageId)).toEqual(['Send', 'Delivery', 'Bounce']);
    const bounce = s.details()[2]!.bounce as Record<string, unknown>;
    expect([bounce.bounceType, bounce.bounceSubType]).toEqual(['Transient', 'General']);
    expect(bounce.bouncedRecipients).toEqual([{ emailAddress: 'ooto@simulator.amazonses.com' }]);
    expect(bounce).not.toHaveProperty('reportingMTA');
    expect(s.parsed().find((e) => e.type === 'bounce')).toMatchObject({ bounceType: 'Transient', contactId: 'ct_1' });
  });

  it('labels: bounce+label1@ and bounce+label2@ each bounce, each event naming its own labelled address', async () => {
    const s = standIn();
    await s.send('bounce+label1@simulator.amazonses.com', 'ct_1');
    await s.send('Bounce+Label2@Simulator.AmazonSES.com', 'ct_2');
    await s.send('success+smoke-run1@simulator.amazonses.com', 'ct_3');
    const bounced = s
      .details()
      .flatMap((d) =>
        d.eventType === 'Bounce'
          ? [(d.bounce as { bouncedRecipients: { emailAddress: string }[] }).bouncedRecipients[0]!.emailAddress]
          : [],
      );
    expect(bounced).toEqual(['bounce+label1@simulator.amazonses.com', 'Bounce+Label2@Simulator.AmazonSES.com']);
    expect(
      s
        .parsed()
        .filter((e) => e.type === 'delivery')
        .map((e) => e.contactId),
    ).toEqual(['ct_3']);
    expect(simulatorScenario('Smoke <complaint+x@simulator.amazonses.com>')).toBe('complaint');
    expect(simulatorScenario('bounce@simulator.amazonses.com.example')).toBeUndefined();
    expect(simulatorScenario('bounce@example.com')).toBeUndefined();
  });

  it('answers as the simulator whatever the local outcome says of other addresses', async () => {
    const s = standIn(() => ({ bounce: 'Transient' }));
    const ok = await s.send('success@simulator.amazonses.com');
    const other = await s.send('dana@northwind.example');
    expect(s.typesOf(ok.messageId)).toEqual(['Send', 'Delivery']);
    expect(s.typesOf(other.messageId)).toEqual(['Send', 'Bounce']);
  });

  it('publishes Delivery, Bounce and Complaint records with the fields of the SES event fixtures', async () => {
    const s = standIn();
    await s.send('complaint@simulator.amazonses.com');
    await s.send('bounce@simulator.amazonses.com');
    const of = (type: string, record: string) => s.details().find((d) => d.eventType === type)![record] as Record<string, unknown>;
    for (const [type, record, name] of [
      ['Delivery', 'delivery', 'delivery'],
      ['Bounce', 'bounce', 'bounce'],
      ['Complaint', 'complaint', 'complaint'],
    ] as const) {
      const expected = fixture(name).detail[record] as Record<string, unknown>;
      expect(keys(of(type, record)), type).toEqual(keys(expected));
    }
    const recipient = (of('Bounce', 'bounce').bouncedRecipients as unknown[])[0];
    expect(keys(recipient)).toEqual(keys((fixture('bounce').detail.bounce as { bouncedRecipients: unknown[] }).bouncedRecipients[0]));
  });
});
