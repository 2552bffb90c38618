import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../demo/demo';
import { logger } from '../../functions/observability';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import { parseSesEvent, type EngagementEvent } from '../../lib/engagement/ses-event';
import { recount } from '../support/recount';

/**
 * The pipeline with DynamoDB failing under it: throttling that the SDK must retry or hand back, and
 * responses lost after the write was applied (the caller retries a write that took effect), from
 * the send request through sending, engagement recording, qualification and notification.
 * Sizes: MQL_FAULT_AUDIENCE (default 200) for a larger run.
 */
logger.setLogLevel('CRITICAL');
const size = Number(process.env.MQL_FAULT_AUDIENCE ?? 200);
// One request in ten throttled once (the SDK's retry gets through), two in a hundred throttled on
// every attempt (the SDK gives up: the sender hands the rest of its job back as a continuation, the
// engagement queue brings the message back), and 8 % of answers lost after the write was applied
// (a claim or an outcome that landed unanswered). The faults start with the send request (contacts,
// profile and campaign are created without them) and stop before the figures are read back.
const faults = { throttleRate: 0.1, persistentThrottleRate: 0.02, lostResponseRate: 0.08, seed: 5 };
let clean: DemoResult;
let faulty: DemoResult;
type InboxMail = { destination: { to: string[] }; subject: string };
let inbox: InboxMail[];
/** What the proxy had injected when the campaign was out: the faults the send path met. */
let duringSend: { throttled: number; lostResponses: number };

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const figures = (r: DemoResult) => {
  const { campaignId: _c, inboxUrl: _i, report: _r, ...rest } = r.summary;
  return rest;
};

beforeAll(async () => {
  clean = await runDemo({ size, seed: 11 });
  faulty = await runDemo({
    size,
    seed: 11,
    keepRunning: true,
    runtime: { dynamodbFaults: {} },
    onPhase: async (phase, runtime) => {
      // The local SES keeps one inbox per process: start this run's with none of the clean run's mail.
      if (phase === 'send') await fetch(`${runtime.inboxUrl}/clear-store`, { method: 'POST' });
      if (phase === 'engage') {
        const { throttled, lostResponses } = runtime.dynamodbFaults!.injected;
        duringSend = { throttled: total(throttled), lostResponses: total(lostResponses) };
      }
      runtime.dynamodbFaults!.set(phase === 'read-back' ? {} : faults);
    },
  });
  inbox = ((await (await fetch(`${faulty.runtime.inboxUrl}/store`)).json()) as { emails: InboxMail[] }).emails;
}, 300_000);
afterAll(async () => {
  await faulty?.runtime.stop();
});

describe('DynamoDB throttling and lost responses under sending, engagement recording, qualification and notification', () => {
  it('injected both kinds of fault, while sending and after', () => {
    const injected = faulty.runtime.dynamodbFaults!.injected;
    expect(duringSend.throttled).toBeGreaterThan(10);
    expect(duringSend.lostResponses).toBeGreaterThan(3);
    expect(total(injected.throttled)).toBeGreaterThan(duringSend.throttled + 10);
    expect(total(injected.lostResponses)).toBeGreaterThan(3);
    expect(injected.lostResponses.PutItem).toBeGreaterThan(0); // recipient and delta writes that took effect unanswered
  });

  it('gives the same figures as the same run without faults', () => {
    expect(figures(faulty)).toEqual(figures(clean));
  });

  it('counts every event once: the figures equal an independent recount of what SES published', () => {
    const events = faulty.published.map((e) => parseSesEvent(e)).flatMap((r) => (r.ok ? [r.event as EngagementEvent] : []));
    const expected = recount(events, faulty.summary.campaignId, defaultMachineRules);
    const m = faulty.metrics;
    expect([m.sent, m.delivered, m.bounced, m.uniqueOpens, m.uniqueClicks, m.totalOpens, m.totalClicks, m.human.uniqueClicks]).toEqual([
      expected.sent,
      expected.delivered,
      expected.bounced,
      expected.uniqueOpens,
      expected.uniqueClicks,
      expected.totalOpens,
      expected.totalClicks,
      expected.humanUniqueClicks,
    ]);
  });

  it('mails each recipient once and sales once per MQL', () => {
    const campaignMail = inbox.filter((m) => !m.destination.to.includes('sales@acme.example'));
    const recipients = campaignMail.map((m) => m.destination.to[0]);
    expect(new Set(recipients).size).toBe(recipients.length);
    expect(campaignMail).toHaveLength(faulty.summary.sent);
    const toSales = inbox.filter((m) => m.destination.to.includes('sales@acme.example'));
    expect(toSales).toHaveLength(faulty.summary.mqls);
    expect(new Set(toSales.map((m) => m.subject)).size).toBe(toSales.length);
  });

  it('handed failed queue messages back and redelivered them', () => {
    // Every SES event is one message on the events queue; more deliveries than events are retries.
    expect(faulty.runtime.queues.events.delivered).toBeGreaterThan(faulty.published.length);
  });

  it('sent through the faults without failing a send-queue message: unfinished work comes back as continuations', () => {
    // A job or page that DynamoDB failed under queued its continuation and was acknowledged; none
    // was retried by the queue (that continuations happen is test/integration/sending.test.ts's).
    expect(faulty.runtime.queues.send.failedDeliveries).toBe(0);
    expect(faulty.runtime.queues.send.delivered).toBeGreaterThanOrEqual(clean.runtime.queues.send.delivered);
  });

  it('loses nothing to a dead-letter queue', () => {
    expect(faulty.runtime.queues.send.deadLetters).toEqual([]);
    expect(faulty.runtime.queues.events.deadLetters).toEqual([]);
    expect(faulty.runtime.buses.project.deadLetters).toEqual([]); // Lead Qualified → notifier
  });
});
