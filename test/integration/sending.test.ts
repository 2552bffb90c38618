import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCampaignStore } from '../../adapters/dynamodb/campaign-store';
import { DynamoContactStore } from '../../adapters/dynamodb/contact-store';
import { DynamoSendLedger } from '../../adapters/dynamodb/send-ledger';
import { DynamoSendProgressStore } from '../../adapters/dynamodb/send-progress-store';
import { DynamoSendRateLimiter } from '../../adapters/dynamodb/send-rate-limiter';
import type { AudienceInput } from '../../lib/sending/audience';
import { normaliseAudience, audienceSchema } from '../../lib/sending/audience';
import { startFaultyDynamoEndpoint } from '../../infra/local/dynamodb-faults';
import type { Campaign } from '../../lib/sending/campaign';
import {
  OutcomesNotRecordedError,
  PermanentSendError,
  SendOutcomeUnknownError,
  SendingBlockedError,
  TransientDependencyError,
} from '../../lib/common/errors';
import { contactIds } from '../../lib/common/ids';
import { resolveContactIds } from '../../lib/contacts/contact-ids';
import type { OutgoingMessage, SendJob, SendLedger, SendOutcome } from '../../lib/sending/ports';
import type { StoredRecipient } from '../../lib/engagement/ports';
import { controlSend, startSend } from '../../lib/sending/send-control';
import { sendingProgress } from '../../lib/sending/campaign-stats';
import { importContacts } from '../../lib/contacts/contacts';
import { handleSendJob } from '../../lib/sending/send-job';
import type { SendDeps } from '../../lib/sending/send-deps';
import { startDynamo } from '../support/dynamo';

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
beforeAll(async () => {
  dynamo = await startDynamo('send-test');
});
afterAll(async () => dynamo.stop());

type Behaviour = (m: OutgoingMessage, call: number) => SendOutcome | 'throw-throttled' | 'throw-blocked' | 'throw-unknown';

/** A campaign mail sender that records what it accepted; `behaviour` decides each message's fate. */
function fakeMail(behaviour: Behaviour = () => ({ ok: true, messageId: '' })) {
  const accepted: OutgoingMessage[] = [];
  let calls = 0;
  return {
    accepted,
    get calls() {
      return calls;
    },
    maxBatch: 50,
    async sendBatch(messages: OutgoingMessage[]): Promise<SendOutcome[]> {
      calls++;
      const fates = messages.map((m) => behaviour(m, calls));
      const thrown = fates.find((f) => typeof f === 'string');
      if (thrown === 'throw-throttled') throw new TransientDependencyError('SES TooManyRequestsException: Maximum sending rate exceeded.');
      if (thrown === 'throw-blocked') throw new SendingBlockedError('SES SendingPausedException: sending is paused for this account');
      if (thrown === 'throw-unknown') {
        accepted.push(...messages); // SES took them; the answer was lost
        throw new SendOutcomeUnknownError('SES TimeoutError: socket timed out');
      }
      return messages.map((m, i) => {
        const outcome = fates[i] as SendOutcome;
        if (!outcome.ok) return outcome;
        accepted.push(m);
        return { ok: true, messageId: `msg-${accepted.length}` };
      });
    },
  };
}

/** Contact ids as the API makes them, under a test key. */
const ids = contactIds('a-test-secret-of-at-least-32-characters');
const contactIdFor = (email: string) => ids.idFor(email);
const emails = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}@northwind.example`);

async function setup(
  campaignId: string,
  mailable: string[],
  options: { audience?: AudienceInput; extraContacts?: Record<string, unknown>[]; behaviour?: Behaviour; db?: DynamoDBDocumentClient } = {},
) {
  const clock = { now: () => new Date() };
  const db = options.db ?? dynamo.db;
  const contacts = new DynamoContactStore(db, dynamo.tableName);
  const campaigns = new DynamoCampaignStore(db, dynamo.tableName);
  await importContacts({ contacts, clock, ids }, [
    ...mailable.map((email) => ({ email, firstName: 'Zoë <script>', industry: 'Software', consent: true })),
    ...(options.extraContacts ?? []),
  ]);
  const input = audienceSchema.parse(options.audience ?? { kind: 'list', emails: mailable });
  const audience = normaliseAudience(input, await resolveContactIds({ contacts, ids }, input.kind === 'list' ? (input.emails ?? []) : []));
  const campaign: Campaign = {
    campaignId,
    name: 'c',
    subject: 'Hi {{firstName}}',
    fromAddress: 'news@acme.example',
    htmlTemplate: '<p>{{firstName}}</p>',
    textTemplate: '{{firstName}}',
    profileId: 'icp',
    status: 'draft',
    profileVersion: 1,
    createdAt: new Date().toISOString(),
    links: {},
    audience,
    fallbacks: { firstName: 'there' },
  };
  await campaigns.create(campaign);
  const mail = fakeMail(options.behaviour);
  const queue: { job: SendJob; delaySeconds: number }[] = [];
  const engagement = new Map<string, StoredRecipient>();
  const deps: SendDeps = {
    campaigns,
    contacts,
    clock,
    ledger: new DynamoSendLedger(db, dynamo.tableName),
    progress: new DynamoSendProgressStore(db, dynamo.tableName),
    limiter: { reserve: async () => 0 },
    sendRate: async () => 1000,
    engagement: { getRecipients: async () => engagement },
    queue: { enqueue: async (jobs, o) => void queue.push(...jobs.map((job) => ({ job, delaySeconds: o?.delaySeconds ?? 0 }))) },
    mail,
    unsubscribe: { baseUrl: 'https://api.acme.example/u', mailto: 'unsub@acme.example', secret: 'x'.repeat(40) },
    sleep: async () => {},
    random: () => 0.5,
    recipientsPerJob: 3,
    fanoutPageSize: 4,
  };
  /** Plays the send queue until it is empty; `copies` delivers every message that many times at once. */
  const drain = async (copies = 1, limit = 500) => {
    for (let i = 0; queue.length && i < limit; i++) {
      const { job } = queue.shift()!;
      await Promise.all(Array.from({ length: copies }, () => handleSendJob(deps, job)));
    }
  };
  /** Takes the first send job off the queue (fan-out pages are queued ahead of their jobs). */
  const takeSend = () => {
    const i = queue.findIndex((q) => q.job.kind === 'send');
    return queue.splice(i, 1)[0]!.job;
  };
  return {
    deps,
    mail,
    queue,
    drain,
    takeSend,
    campaigns,
    contacts,
    engagement,
    start: (key?: string) => startSend({ ...deps }, campaignId, key),
  };
}

const recipientsOf = (mail: { accepted: OutgoingMessage[] }) => mail.accepted.map((m) => m.to).sort();

describe('sending a campaign', () => {
  it('sends each recipient once when every queue message is delivered twice at the same time, and counts exclusions once', async () => {
    const mailable = emails('twice', 11);
    const { mail, drain, campaigns, contacts, deps, start } = await setup('cmp_twice', mailable, {
      extraContacts: [
        { email: 'gone@northwind.example', consent: true },
        { email: 'bounced@northwind.example', consent: true },
        { email: 'silent@northwind.example', consent: false },
      ],
      audience: {
        kind: 'list',
        emails: [...mailable, 'gone@northwind.example', 'bounced@northwind.example', 'silent@northwind.example', 'never@northwind.example'],
      },
    });
    await contacts.suppress(contactIdFor('gone@northwind.example'), 'unsubscribed', new Date().toISOString());
    await contacts.suppress(contactIdFor('bounced@northwind.example'), 'bounced', new Date().toISOString());
    await start('request-1');
    expect(await start('request-1')).toMatchObject({ started: true, replayed: true }); // a retried request starts nothing new
    await expect(start()).rejects.toThrow(/a campaign is sent once/); // nor does another request
    await drain(2);

    expect(recipientsOf(mail)).toEqual([...mailable].sort());
    const campaign = (await campaigns.get('cmp_twice'))!;
    expect(campaign.status).toBe('sent');
    expect(campaign.summary).toMatchObject({
      recipients: 11,
      sent: 11,
      failed: 0,
      excluded: { unsubscribed: 1, bounced: 1, 'no-consent': 1, 'not-found': 1 },
    });
    expect(await sendingProgress(deps, campaign)).toMatchObject({ sent: 11, failed: 0, remaining: 0, excludedTotal: 4 });
    const first = mail.accepted[0]!;
    expect(first.headers).toEqual({
      'List-Unsubscribe': expect.stringMatching(
        /^<https:\/\/api\.acme\.example\/u\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+>, <mailto:unsub@acme\.example\?subject=unsubscribe>$/,
      ),
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expect(first.html).toBe('<p>Zoë &lt;script&gt;</p>');
    expect(first.subject).toBe('Hi Zoë <script>');
    expect(first.tags).toEqual({ campaignId: 'cmp_twice', contactId: contactIdFor(first.to) });
  });

  it('resolves a segment of attribute conditions at send time', async () => {
    const { mail, drain, start } = await setup('cmp_segment', emails('seg', 3), {
      extraContacts: [
        { email: 'fin0@bank.example', industry: 'Finance', consent: true },
        { email: 'fin1@bank.example', industry: 'finance', seniority: 'vp', consent: true },
      ],
      audience: {
        kind: 'segment',
        conditions: [
          { attribute: 'industry', in: ['Finance'] },
          { attribute: 'emailDomain', in: ['bank.example'] },
        ],
      },
    });
    await start();
    await drain();
    expect(recipientsOf(mail)).toEqual(['fin0@bank.example', 'fin1@bank.example']);
  });

  it('marks a recipient SES refuses for good failed, sends the rest of the batch, and never retries that one', async () => {
    const mailable = emails('perm', 5);
    const { mail, drain, campaigns, deps, start, queue, takeSend } = await setup('cmp_perm', mailable, {
      behaviour: (m) =>
        m.to === 'perm2@northwind.example'
          ? { ok: false, error: new PermanentSendError('SES MESSAGE_REJECTED: address on the account suppression list') }
          : { ok: true, messageId: '' },
    });
    await start();
    await handleSendJob(deps, queue.shift()!.job); // fan-out
    const job = takeSend(); // perm0, perm1, perm2 in one SendBulkEmail call
    expect(await handleSendJob(deps, job)).toEqual({ status: 'done', sent: 2, failed: 1, excluded: 0 });
    // The same job delivered again: nobody is mailed again and the counts are the same.
    expect(await handleSendJob(deps, job)).toEqual({ status: 'done', sent: 2, failed: 1, excluded: 0 });
    expect(mail.accepted).toHaveLength(2);
    await drain();
    expect(recipientsOf(mail)).toEqual(mailable.filter((e) => e !== 'perm2@northwind.example').sort());
    expect((await campaigns.get('cmp_perm'))!.summary).toMatchObject({ sent: 4, failed: 1 });
    expect(
      (await deps.ledger.outcomes('cmp_perm', [contactIdFor('perm2@northwind.example')])).get(contactIdFor('perm2@northwind.example')),
    ).toEqual({
      state: 'failed',
      reason: 'SES MESSAGE_REJECTED: address on the account suppression list',
    });
  });

  it('backs off and retries throttled calls and throttled entries, and sends each recipient once', async () => {
    const mailable = emails('thr', 6);
    let throttledEntries = 0;
    const { mail, drain, campaigns, start } = await setup('cmp_throttle', mailable, {
      behaviour: (m, call) => {
        if (call === 1) return 'throw-throttled'; // the whole first call refused
        if (m.to === 'thr4@northwind.example' && throttledEntries < 2) {
          throttledEntries++; // one entry of a call refused, twice
          return { ok: false, error: new TransientDependencyError('SES ACCOUNT_THROTTLED: slow down') };
        }
        return { ok: true, messageId: '' };
      },
    });
    await start();
    await drain();
    expect(recipientsOf(mail)).toEqual([...mailable].sort());
    expect(throttledEntries).toBe(2);
    expect(mail.calls).toBe(3 + 1 + 2); // one call per job, plus the refused first call and thr4's two retries
    expect((await campaigns.get('cmp_throttle'))!.status).toBe('sent');
  });

  it('hands a job that keeps being throttled back to the queue with a growing delay, never dropping anyone', async () => {
    let refuse = 9; // more refusals than the tries of one invocation
    const { mail, drain, queue, deps, start } = await setup('cmp_slow', emails('slow', 2), {
      behaviour: () => (refuse-- > 0 ? 'throw-throttled' : { ok: true, messageId: '' }),
    });
    await start();
    await handleSendJob(deps, queue.shift()!.job); // fan-out
    const first = queue.shift()!;
    expect(await handleSendJob(deps, first.job)).toMatchObject({ status: 'continued', sent: 0 });
    expect(queue[0]).toMatchObject({ job: { jobId: '0.0', attempt: 1 }, delaySeconds: 30 });
    await drain();
    expect(recipientsOf(mail)).toEqual(emails('slow', 2).sort());
  });

  it('pauses mid-campaign, sends nothing more while paused, and resumes without a duplicate or a gap', async () => {
    const mailable = emails('pause', 20);
    const { mail, drain, queue, campaigns, deps, start } = await setup('cmp_pause', mailable);
    await start();
    // The fan-out and three jobs, then a pause.
    for (let i = 0; i < 4; i++) await handleSendJob(deps, queue.shift()!.job);
    const before = mail.accepted.length;
    expect(before).toBeGreaterThan(0);
    expect((await controlSend(deps, 'cmp_pause', 'pause')).changed).toBe(true);
    expect((await controlSend(deps, 'cmp_pause', 'pause')).changed).toBe(false); // idempotent
    await drain(); // everything queued before the pause stops
    expect(mail.accepted).toHaveLength(before);
    expect((await campaigns.get('cmp_pause'))!.status).toBe('paused');
    await expect(startSend(deps, 'cmp_pause')).rejects.toThrow(/paused; resume it instead/);

    const { campaign } = await controlSend(deps, 'cmp_pause', 'resume');
    expect(campaign).toMatchObject({ status: 'sending', generation: 2 });
    // A job of the first generation that arrives late does nothing.
    expect(
      await handleSendJob(deps, {
        kind: 'send',
        campaignId: 'cmp_pause',
        generation: 1,
        jobId: '1.0',
        contactIds: mailable.slice(3, 6).map(contactIdFor),
      }),
    ).toMatchObject({ status: 'stopped' });
    await drain(2);
    expect(recipientsOf(mail)).toEqual([...mailable].sort());
    expect((await campaigns.get('cmp_pause'))!.summary).toMatchObject({ recipients: 20, sent: 20 });
  });

  it('stops at the next call when the campaign is cancelled during a job', async () => {
    const mailable = emails('cancel', 9);
    const { mail, queue, campaigns, start, deps: base } = await setup('cmp_cancel', mailable);
    const deps: SendDeps = {
      ...base,
      recipientsPerJob: 9,
      fanoutPageSize: 9,
      statusCheckMs: 0,
      callsInFlight: 1,
      sendRate: async () => 3, // calls of 3
      mail: {
        maxBatch: 50,
        async sendBatch(messages) {
          const outcomes = await mail.sendBatch(messages);
          if (mail.accepted.length === 3) await controlSend(base, 'cmp_cancel', 'cancel'); // while the first call is on the wire
          return outcomes;
        },
      },
    };
    await start();
    await handleSendJob(deps, queue.shift()!.job);
    expect(await handleSendJob(deps, queue.shift()!.job)).toMatchObject({ status: 'stopped', sent: 3 });
    expect(mail.accepted).toHaveLength(3);
    expect((await campaigns.get('cmp_cancel'))!.status).toBe('cancelled');
    await expect(controlSend(deps, 'cmp_cancel', 'resume')).rejects.toThrow(/cancelled; it cannot be resumed/);
  });

  it('pauses a campaign whose stored template the renderer refuses, with the reason, instead of leaving it sending (#16 row 2)', async () => {
    const { mail, drain, campaigns, queue, start } = await setup('cmp_badtpl', emails('tpl', 4));
    // Stored before templates were judged by the renderer: a partial the sender cannot resolve.
    await campaigns.update('cmp_badtpl', { htmlTemplate: '<p>{{> evil}}</p>' }, ['draft']);
    await start();
    await drain();
    const paused = (await campaigns.get('cmp_badtpl'))!;
    expect(paused.status).toBe('paused');
    expect(paused.pausedReason).toMatch(/^the template cannot be rendered: .*evil/);
    expect(mail.accepted).toHaveLength(0);
    expect(queue).toHaveLength(0); // nothing left retrying towards the DLQ
  });

  it('pauses the campaign with the reason when SES refuses to send at all, and resumes later', async () => {
    let blocked = true;
    const { mail, drain, campaigns, deps, start } = await setup('cmp_blocked', emails('blk', 4), {
      behaviour: () => (blocked ? 'throw-blocked' : { ok: true, messageId: '' }),
    });
    await start();
    await drain();
    const paused = (await campaigns.get('cmp_blocked'))!;
    expect(paused.status).toBe('paused');
    expect(paused.pausedReason).toContain('SendingPausedException');
    expect(mail.accepted).toHaveLength(0);
    blocked = false;
    await controlSend(deps, 'cmp_blocked', 'resume');
    await drain();
    expect(recipientsOf(mail)).toEqual(emails('blk', 4).sort());
  });

  it('excludes a contact who unsubscribed after the fan-out and shows it in the progress', async () => {
    const mailable = emails('late', 4);
    const { mail, queue, drain, contacts, campaigns, deps, start } = await setup('cmp_late', mailable);
    await start();
    await handleSendJob(deps, queue.shift()!.job); // fan-out: all four are mailable now
    await contacts.suppress(contactIdFor('late1@northwind.example'), 'unsubscribed', new Date().toISOString());
    await drain();
    expect(recipientsOf(mail)).toEqual(mailable.filter((e) => e !== 'late1@northwind.example').sort());
    const campaign = (await campaigns.get('cmp_late'))!;
    expect(await sendingProgress(deps, campaign)).toMatchObject({ recipients: 4, sent: 3, excluded: { unsubscribed: 1 }, remaining: 0 });
  });

  it('hands the rest of a job back before the invocation deadline, and the continuation sends it once', async () => {
    const mailable = emails('dl', 6);
    const { mail, queue, deps: base, start, campaigns } = await setup('cmp_deadline', mailable);
    const deps = { ...base, recipientsPerJob: 6, fanoutPageSize: 6, sendRate: async () => 2, callsInFlight: 1 }; // one job, calls of 2
    await start();
    await handleSendJob(deps, queue.shift()!.job);
    let now = Date.now();
    const clocked = {
      ...deps,
      clock: { now: () => new Date(now) },
      sleep: async (ms: number) => {
        now += ms;
      },
      limiter: { reserve: async () => now + 1000 },
    };
    const result = await handleSendJob(clocked, queue.shift()!.job, { deadline: now + 1500 });
    expect(result).toMatchObject({ status: 'continued', sent: 2 });
    expect(queue).toHaveLength(1);
    while (queue.length) await handleSendJob(deps, queue.shift()!.job);
    expect(recipientsOf(mail)).toEqual([...mailable].sort());
    expect((await campaigns.get('cmp_deadline'))!.status).toBe('sent');
  });

  it('after a crash between SES accepting and the record, takes the claim over and does not resend when SES reported the send', async () => {
    const mailable = emails('crash', 2);
    const { mail, queue, deps: base, start, engagement } = await setup('cmp_crash', mailable);
    const deps = { ...base, claimLeaseMs: 50, recipientsPerJob: 2 };
    await start();
    await handleSendJob(deps, queue.shift()!.job);
    const job = queue.shift()!.job;
    // A sender claimed the job, SES accepted crash0's message, and the sender died before recording it.
    const [crash0, _crash1] = mailable.map(contactIdFor) as [string, string];
    if (job.kind !== 'send') throw new Error('expected the send job');
    await deps.ledger.claimJob('cmp_crash', job.jobId, { token: 'dead-sender', at: new Date(), leaseMs: 50 });
    engagement.set(`cmp_crash|${crash0}`, {
      state: { campaignId: 'cmp_crash', contactId: crash0, seen: ['k'], sentAt: new Date().toISOString(), opens: [], clicks: [] },
      version: 1,
      pending: {},
    });
    // Redelivered while the claims are live: nothing is sent, the job comes back later.
    expect(await handleSendJob(deps, job)).toMatchObject({ status: 'continued', sent: 0 });
    await new Promise((r) => setTimeout(r, 60));
    expect(await handleSendJob(deps, job)).toMatchObject({ status: 'done', sent: 2 });
    expect(recipientsOf(mail)).toEqual(['crash1@northwind.example']);
    expect(await deps.ledger.outcomes('cmp_crash', [crash0])).toEqual(
      new Map([[crash0, { state: 'sent', messageId: 'recovered-from-ses-send-event' }]]),
    );
  });

  it('keeps the claim when the SES answer was lost, and settles it from the Send event after the lease', async () => {
    let timeouts = 1;
    const {
      mail,
      queue,
      deps: base,
      start,
      engagement,
      campaigns,
    } = await setup('cmp_unknown', emails('unk', 2), {
      behaviour: () => (timeouts-- > 0 ? 'throw-unknown' : { ok: true, messageId: '' }),
    });
    const deps = { ...base, claimLeaseMs: 50 };
    await start();
    await handleSendJob(deps, queue.shift()!.job);
    expect(await handleSendJob(deps, queue.shift()!.job)).toMatchObject({ status: 'continued' });
    expect(queue[0]!.delaySeconds).toBe(1); // waits out the lease, rounded up to SQS's seconds
    // SES did accept both; its Send events arrive.
    for (const email of emails('unk', 2)) {
      const contactId = contactIdFor(email);
      engagement.set(`cmp_unknown|${contactId}`, {
        state: { campaignId: 'cmp_unknown', contactId, seen: ['k'], sentAt: new Date().toISOString(), opens: [], clicks: [] },
        version: 1,
        pending: {},
      });
    }
    await new Promise((r) => setTimeout(r, 60));
    while (queue.length) await handleSendJob(deps, queue.shift()!.job);
    expect(mail.accepted).toHaveLength(2); // the lost call's two, never again
    expect((await campaigns.get('cmp_unknown'))!.summary).toMatchObject({ sent: 2 });
  });
});

describe('sending while DynamoDB fails', () => {
  it('hands a job back with only the outcomes DynamoDB did not take, and the continuation records them without mailing anyone again', async () => {
    const mailable = emails('carry', 6);
    const { mail, queue, deps: base, start, campaigns } = await setup('cmp_carry', mailable);
    const lost = new Set(mailable.slice(1, 3).map(contactIdFor));
    let failOnce = true;
    const ledger: SendLedger = Object.create(base.ledger);
    ledger.recordOutcomes = async (campaignId, outcomes) => {
      // The first write of outcomes: DynamoDB takes all but two (throttled past the SDK's attempts).
      const refused = failOnce ? outcomes.filter((o) => lost.has(o.contactId)) : [];
      failOnce = false;
      await base.ledger.recordOutcomes(
        campaignId,
        outcomes.filter((o) => !refused.includes(o)),
      );
      if (refused.length)
        throw new OutcomesNotRecordedError(refused, new TransientDependencyError('ProvisionedThroughputExceededException'));
    };
    const deps = { ...base, ledger, recipientsPerJob: 6, fanoutPageSize: 6 };
    await start();
    await handleSendJob(deps, queue.shift()!.job); // fan-out
    expect(await handleSendJob(deps, queue.shift()!.job)).toMatchObject({ status: 'continued' }); // acknowledged, not failed
    const next = queue[0]!;
    if (next.job.kind !== 'send') throw new Error('expected the continuation of the send job');
    expect(next).toMatchObject({ delaySeconds: 1, job: { jobId: '0.0', claims: [expect.any(String)] } });
    expect(next.job.unrecorded?.map((o) => o.contactId).sort()).toEqual([...lost].sort());
    expect(mail.accepted).toHaveLength(6);
    // A duplicate of the first message arrives meanwhile: the claim is the continuation's, so it only looks again later.
    expect(await handleSendJob(deps, { ...next.job, claims: undefined, unrecorded: undefined })).toMatchObject({
      status: 'continued',
      sent: 0,
    });
    expect(await handleSendJob(deps, queue.shift()!.job)).toMatchObject({ status: 'done', sent: 6 });
    while (queue.length) await handleSendJob(deps, queue.shift()!.job);
    expect(recipientsOf(mail)).toEqual([...mailable].sort());
    expect((await campaigns.get('cmp_carry'))!.summary).toMatchObject({ sent: 6 });
  });

  it('hands on a job claim whose answer was lost, so the continuation takes it at once instead of waiting out the lease', async () => {
    const mailable = emails('claimlost', 3);
    const { mail, queue, deps: base, start, campaigns } = await setup('cmp_claimlost', mailable);
    let loseAnswer = true;
    const ledger: SendLedger = Object.create(base.ledger);
    ledger.claimJob = async (campaignId, jobId, attempt) => {
      const claim = await base.ledger.claimJob(campaignId, jobId, attempt);
      if (!loseAnswer) return claim;
      loseAnswer = false; // the claim landed, and its answer was lost
      throw new TransientDependencyError('InternalServerError after the write was applied');
    };
    const deps = { ...base, ledger, recipientsPerJob: 3, fanoutPageSize: 3 };
    await start();
    await handleSendJob(deps, queue.shift()!.job);
    expect(await handleSendJob(deps, queue.shift()!.job)).toMatchObject({ status: 'continued' });
    expect(queue[0]).toMatchObject({ delaySeconds: 1, job: { claims: [expect.any(String)] } });
    expect(await handleSendJob(deps, queue.shift()!.job)).toMatchObject({ status: 'done', sent: 3 });
    expect(recipientsOf(mail)).toEqual([...mailable].sort());
    expect((await campaigns.get('cmp_claimlost'))!.status).toBe('sent');
  });

  it('completes every recipient once when DynamoDB calls fail intermittently, every message delivered twice, none failed back to the queue', async () => {
    const faulty = await startFaultyDynamoEndpoint(dynamo.endpoint, {});
    const client = new DynamoDBClient({
      endpoint: faulty.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      retryStrategy: new ConfiguredRetryStrategy(3, (attempt: number) => 5 * attempt), // the SDK's attempts, with millisecond backoff
    });
    const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    try {
      const mailable = emails('flaky', 60);
      const { mail, queue, deps: base, start, campaigns } = await setup('cmp_flaky', mailable, { db });
      mail.maxBatch = 5; // several SES calls, and outcome writes, per job
      const deps = { ...base, recipientsPerJob: 20, fanoutPageSize: 30, limiter: new DynamoSendRateLimiter(db, dynamo.tableName) };
      await start();
      // Throttled once (the SDK retries), throttled past the SDK's attempts, and answers lost after the write landed.
      faulty.set({ throttleRate: 0.1, persistentThrottleRate: 0.05, lostResponseRate: 0.1, seed: 3 });
      const failedBack: unknown[] = [];
      let handedBack = 0;
      for (let i = 0; queue.length && i < 1000; i++) {
        const { job } = queue.shift()!;
        if (job.kind === 'send' && (job.claims || job.unrecorded)) handedBack++;
        await Promise.all(
          [handleSendJob(deps, job), handleSendJob(deps, job)].map((run) => run.catch((error) => void failedBack.push(error))),
        );
      }
      faulty.set({});
      expect(queue).toEqual([]);
      expect(failedBack).toEqual([]);
      expect(handedBack).toBeGreaterThan(0);
      expect(Object.values(faulty.injected.throttled).reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
      expect(Object.values(faulty.injected.lostResponses).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
      expect(recipientsOf(mail)).toEqual([...mailable].sort()); // each once, nobody left out
      const campaign = (await campaigns.get('cmp_flaky'))!;
      expect(campaign.status).toBe('sent');
      expect(campaign.summary).toMatchObject({ recipients: 60, sent: 60, failed: 0 });
    } finally {
      client.destroy();
      await faulty.close();
    }
  });
});

describe('the shared send schedule on DynamoDB', () => {
  it('spaces the calls of concurrent senders so that together they never book more than the rate', async () => {
    const limiter = new DynamoSendRateLimiter(dynamo.db, dynamo.tableName);
    const rate = 200; // 5 ms per message
    const now = Date.now() + 60_000; // a schedule of its own, apart from other tests
    const bookings = await Promise.all(
      Array.from({ length: 40 }, (_, i) => limiter.reserve(5, rate, now + (i % 4)).then((sendAt) => sendAt)),
    );
    const sorted = [...bookings].sort((a, b) => a - b);
    // Each call of 5 messages goes 25 ms after the previous one: 200 messages per second, exactly.
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeCloseTo(25, 6);
    expect(sorted[0]).toBeGreaterThanOrEqual(now + 20);
  });

  it('does not bank idle time: after a quiet spell the schedule restarts now', async () => {
    const limiter = new DynamoSendRateLimiter(dynamo.db, dynamo.tableName);
    const t = Date.now() + 600_000;
    expect(await limiter.reserve(10, 10, t)).toBe(t + 900);
    expect(await limiter.reserve(10, 10, t + 60_000)).toBe(t + 60_000 + 900);
  });
});
