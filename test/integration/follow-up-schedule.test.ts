import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLeadStore } from '../../adapters/dynamodb/lead-store';
import { followUpRunInput } from '../../functions/notifier/follow-up-schedule';
import { logger } from '../../functions/observability';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import { LocalSchedule } from '../../infra/local/schedule';
import { sendDueFollowUps, type FollowUpDeps } from '../../lib/qualification/follow-up';
import type { Lead } from '../../lib/qualification/lead';
import type { LeadStore } from '../../lib/qualification/ports';
import type { MailSender, OutgoingMessage } from '../../lib/sending/ports';
import { startDynamo } from '../support/dynamo';

/**
 * Speed-to-lead on a schedule (issue 15): the local runtime runs the follow-ups through the notifier
 * on a timer, as EventBridge Scheduler does on AWS (test/cdk/stack.test.ts checks that schedule), and
 * each reminder and escalation goes out once when runs overlap, repeat or crash half-way, on the
 * DynamoDB adapter.
 */
logger.setLogLevel('CRITICAL');

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-02T09:00:00.000Z');

const freshLead = (contactId: string, qualifiedAt: number): Lead => ({
  leadId: `ld_${contactId}`,
  contactId,
  lifecycle: 1,
  campaignId: 'cmp_fu',
  criteriaId: 'crit',
  criteriaVersion: 1,
  profileId: 'crit',
  profileVersion: 1,
  qualifiedAt: new Date(qualifiedAt).toISOString(),
  reasons: ['Fit: industry is Software'],
  fit: { score: 0, threshold: 0, matched: [] },
  engagement: { score: 10, threshold: 10, contributions: [] },
  handRaiser: false,
  trigger: { kind: 'click', at: new Date(qualifiedAt).toISOString(), clickedAt: new Date(qualifiedAt).toISOString() },
  stage: 'mql',
  stageHistory: [{ stage: 'mql', at: new Date(qualifiedAt).toISOString() }],
  owner: 'eva@acme.example',
  routedBy: 'territory',
  followUp: {
    remindAt: new Date(qualifiedAt + 12 * HOUR).toISOString(),
    dueAt: new Date(qualifiedAt + 24 * HOUR).toISOString(),
    escalateTo: 'boss@acme.example',
    firstOwner: 'eva@acme.example',
  },
});

describe('LocalSchedule', () => {
  it('runs on its interval, never two runs at once, keeps going after a failed run, and stop waits for the run in flight', async () => {
    let active = 0;
    let most = 0;
    let calls = 0;
    let release: () => void = () => {};
    const schedule = new LocalSchedule('test', 10, async () => {
      calls++;
      active++;
      most = Math.max(most, active);
      if (calls === 1) await new Promise<void>((r) => (release = r)); // a slow first run
      active--;
      if (calls === 2) throw new Error('boom');
    });
    schedule.start();
    await new Promise((r) => setTimeout(r, 80)); // several ticks while the first run is still going
    expect(calls).toBe(1);
    expect(schedule.counts.skipped).toBeGreaterThan(0);
    release();
    await new Promise((r) => setTimeout(r, 80));
    await schedule.stop();
    expect(most).toBe(1);
    expect(calls).toBeGreaterThanOrEqual(3); // the failed second run did not stop the third
    expect(schedule.counts.failed).toBe(1);
    const after = calls;
    await new Promise((r) => setTimeout(r, 40));
    expect(calls).toBe(after); // stopped
    expect(() => new LocalSchedule('bad', 0, async () => {})).toThrow(/positive/);
  });
});

describe('follow-ups on DynamoDB: overlapping, repeated, crashed and failing runs', () => {
  let dynamo: Awaited<ReturnType<typeof startDynamo>>;
  beforeAll(async () => {
    dynamo = await startDynamo('follow-up-schedule');
  });
  afterAll(async () => dynamo.stop());

  function world() {
    const clock = { ms: T0, now: () => new Date(clock.ms) };
    const sent: OutgoingMessage[] = [];
    const mail: MailSender = {
      send: async (m) => {
        await new Promise((r) => setTimeout(r, 5)); // SES takes a moment: runs really overlap
        sent.push(m);
        return { messageId: `fu-${sent.length}` };
      },
    };
    const leads = new DynamoLeadStore(dynamo.db, dynamo.tableName);
    const deps = (over: Partial<FollowUpDeps> = {}): FollowUpDeps => ({ leads, mail, clock, from: 'mql@acme.example', ...over });
    return { clock, sent, leads, deps, kinds: () => sent.map((m) => `${m.to} ${m.subject.split(':')[0]}`).sort() };
  }

  it('sends each reminder and escalation once when three runs overlap, and again when replayed', async () => {
    const w = world();
    for (const id of ['ct_fu_a', 'ct_fu_b', 'ct_fu_c']) expect(await w.leads.createIfAbsent(freshLead(id, T0))).toBe(true);
    w.clock.ms = T0 + 12 * HOUR; // the reminders are due
    await Promise.all([sendDueFollowUps(w.deps()), sendDueFollowUps(w.deps()), sendDueFollowUps(w.deps())]);
    expect(w.kinds()).toEqual(Array(3).fill('eva@acme.example Reminder'));
    w.clock.ms = T0 + 24 * HOUR; // and the escalations
    await Promise.all([sendDueFollowUps(w.deps()), sendDueFollowUps(w.deps())]);
    await sendDueFollowUps(w.deps()); // a retried run
    w.clock.ms = T0 + 20 * HOUR; // a replayed clock
    await sendDueFollowUps(w.deps());
    expect(w.kinds()).toEqual([...Array(3).fill('boss@acme.example Escalated'), ...Array(3).fill('eva@acme.example Reminder')]);
  });

  it('one follow-up SES keeps refusing does not hold back the others on every run', async () => {
    const w = world();
    await w.leads.createIfAbsent({ ...freshLead('ct_fu_bad', T0 - 13 * HOUR), owner: 'broken@acme.example' });
    await w.leads.createIfAbsent(freshLead('ct_fu_good', T0 - 13 * HOUR));
    const picky: MailSender = {
      send: async (m) => (m.to === 'broken@acme.example' ? Promise.reject(new Error('MessageRejected')) : w.deps().mail.send(m)),
    };
    w.clock.ms = T0;
    const failures: string[] = [];
    const run = await sendDueFollowUps(w.deps({ mail: picky, onFailure: (due) => failures.push(due.contactId) }));
    expect(run).toMatchObject({ sent: 1, failed: 1 });
    expect(failures).toEqual(['ct_fu_bad']);
    expect(await sendDueFollowUps(w.deps({ mail: picky }))).toMatchObject({ sent: 0, failed: 1 }); // tried again, still refused
    expect(w.kinds()).toEqual(['eva@acme.example Reminder']);
  });

  it('a run that crashes after claiming, before SES, leaves the follow-up to a later run after the lease: sent once', async () => {
    const w = world();
    const T = T0 + 20 * 24 * HOUR; // past the 8-day look-back of the other tests' follow-ups in this table
    await w.leads.createIfAbsent(freshLead('ct_fu_crash', T - 13 * HOUR)); // reminder due now
    const crash = new Error('the process died');
    // The run dies inside the SES call, so it neither sends nor releases its claim (as a process killed there would).
    const dying: LeadStore = Object.create(w.leads, { releaseFollowUp: { value: async () => Promise.reject(crash) } });
    const dead = w.deps({ leads: dying, mail: { send: async () => Promise.reject(crash) } });
    w.clock.ms = T;
    expect(await sendDueFollowUps(dead)).toMatchObject({ failed: 1, sent: 0 });
    expect(await sendDueFollowUps(w.deps())).toMatchObject({ sent: 0, 'already-sent': 1 }); // within the lease: the claim holds
    w.clock.ms = T + 6 * 60_000; // past the 5-minute lease
    expect(await sendDueFollowUps(w.deps())).toMatchObject({ sent: 1 });
    await Promise.all([sendDueFollowUps(w.deps()), sendDueFollowUps(w.deps())]);
    expect(w.kinds()).toEqual(['eva@acme.example Reminder']);
  });
});

describe('the local runtime runs the follow-ups on a timer', () => {
  let runtime: LocalRuntime;
  const clock = { ms: Date.now(), now: () => new Date(clock.ms) };
  beforeAll(async () => {
    runtime = await startLocalRuntime({ clock, followUpIntervalMs: 50 });
  });
  afterAll(async () => runtime.stop());

  const salesMail = async () => {
    const store = (await (await fetch(`${runtime.inboxUrl}/store`)).json()) as {
      emails: { subject: string; destination: { to: string[] } }[];
    };
    return store.emails
      .filter((m) => /^(Reminder|Escalated)/.test(m.subject))
      .map((m) => `${m.destination.to.join()} ${m.subject.split(':')[0]}`);
  };
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 50));
  };

  it('sends the reminder, then the escalation, once each, with the timer and extra runs overlapping', async () => {
    const schedule = runtime.followUps!;
    expect(schedule.intervalMs).toBe(50);
    await runtime.app.adapters.leads.createIfAbsent(freshLead('ct_fu_timer', clock.ms));
    clock.ms += 12 * HOUR;
    await until(async () => (await salesMail()).length === 1);
    // The schedule's input through the notifier (as on AWS), and the use case directly, beside the timer.
    await Promise.all([schedule.tick(), runtime.app.sendDueFollowUps(), runtime.app.sendDueFollowUps()]);
    expect(await salesMail()).toEqual(['eva@acme.example Reminder']);
    clock.ms += 12 * HOUR;
    await until(async () => (await salesMail()).length === 2);
    const runs = schedule.counts.runs;
    await until(async () => schedule.counts.runs >= runs + 3);
    expect((await salesMail()).sort()).toEqual(['boss@acme.example Escalated', 'eva@acme.example Reminder']);
    expect(schedule.counts.failed).toBe(0);
    expect(followUpRunInput).toEqual({ action: 'send-due-follow-ups' });
  });

  it('is off unless asked for, and stops with the runtime', async () => {
    const quiet = await startLocalRuntime();
    expect(quiet.followUps).toBeUndefined();
    await quiet.stop();
  });
});
