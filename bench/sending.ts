import { type CapacityTotals, meterCapacity } from '../adapters/dynamodb/capacity-meter';
import { type LocalRuntime, startLocalRuntime } from '../infra/local/runtime';
import type { CampaignStats } from '../lib/sending/campaign-stats';

export interface SendingFigures {
  recipients: number;
  /** The rate the local SES enforces; the pipeline reads it from GetAccount. */
  configuredRate: number;
  /** Recipients ÷ seconds from the send request to SES's last accepted call. */
  achievedRate: number;
  achievedOverConfigured: number;
  sesCallsPer1000Recipients: number;
  throttledCalls: number;
  /** Audience members without a message in the local SES. */
  lost: number;
  /** Messages beyond the first for a recipient. */
  sentTwice: number;
  /** The campaign's own figures once done. */
  status: string;
  sendingSent: number;
  senderInvocationsPer1000Recipients: number;
  dynamodbWriteUnitsPerRecipient: number;
  dynamodbReadUnitsPerRecipient: number;
  /** The sender's wall time per invocation (what Lambda bills; it includes waiting for the SES rate). */
  senderMillisecondsPerInvocation: number;
  /** SendMessageBatch requests to the send queue, and messages delivered from it, per recipient. */
  sendQueueRequestsPerRecipient: number;
  sendQueueMessagesPerRecipient: number;
  seconds: number;
}

/**
 * A campaign to `recipients` contacts on the embedded stack, through the API handler, the send
 * queue (two consumers, as on AWS) and the sender, to a local SES that enforces `rate` messages a
 * second and throttles above it. Counted from what the local SES stored, not from the pipeline.
 * SES event playback is off: the engagement path has its own benchmark, and on one Node thread it
 * would compete with the sender for the CPU (on AWS they are separate functions).
 */
export async function benchSending(options: { recipients: number; rate: number }): Promise<SendingFigures> {
  const runtime = await startLocalRuntime({ sesMaxSendRate: options.rate, playSesEvents: false });
  try {
    const app = runtime.app;
    const emails = Array.from({ length: options.recipients }, (_, i) => `r${String(i).padStart(6, '0')}@bench.example`);
    for (let i = 0; i < emails.length; i += 1_000) {
      await app.importContacts(
        emails.slice(i, i + 1_000).map((email, k) => ({ email, firstName: `R${i + k}`, industry: 'Software', consent: true })),
      );
    }
    const profile = await app.createProfile({ name: 'bench' });
    const campaign = await app.createCampaign({
      name: 'bench',
      subject: 'Hi {{firstName}}',
      fromAddress: 'news@acme.example',
      profileId: profile.profileId,
      htmlTemplate:
        '<p>Hi {{firstName}}</p><p><a href="https://acme.example/q3">Q3 report</a> · <a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
      textTemplate: 'Hi {{firstName}}. Unsubscribe: {{unsubscribeUrl}}',
      fallbacks: { firstName: 'there' },
      audience: { kind: 'segment', conditions: [{ attribute: 'emailDomain', in: ['bench.example'] }] },
    });
    const meter = meterCapacity(runtime.clients.dynamodb);
    const q = runtime.queues.send;
    const before = { invocations: q.invocations, milliseconds: q.consumerMilliseconds, requests: q.sendRequests, delivered: q.delivered };

    // The local SES keeps one store per process: start from an empty one, so that mail other
    // benchmark sections sent is not counted here.
    await fetch(`${runtime.inboxUrl}/clear-store`, { method: 'POST' });
    const started = Date.now();
    const response = await fetch(`${runtime.apiUrl}/campaigns/${campaign.campaignId}/send`, { method: 'POST' });
    if (response.status !== 202) throw new Error(`send answered ${response.status}`);
    await runtime.settle();
    const seconds = (Date.now() - started) / 1000;

    return await sendingFigures(runtime, emails, campaign.campaignId, { ...options, started, seconds, before, meter });
  } finally {
    await runtime.stop();
  }
}

/** What the run achieved, read from the local SES's store, its traffic counters and the stats API. */
async function sendingFigures(
  runtime: LocalRuntime,
  emails: string[],
  campaignId: string,
  run: {
    recipients: number;
    rate: number;
    started: number;
    seconds: number;
    before: { invocations: number; milliseconds: number; requests: number; delivered: number };
    meter: CapacityTotals;
  },
): Promise<SendingFigures> {
  const { recipients, rate, started, seconds, before, meter } = run;
  const q = runtime.queues.send;
  const invocations = q.invocations - before.invocations;
  const options = { recipients, rate };
  const traffic = runtime.sesTraffic!;
  const stored = ((await (await fetch(`${runtime.inboxUrl}/store`)).json()) as { emails: { destination: { to: string[] } }[] }).emails;
  const perRecipient = new Map<string, number>();
  const audience = new Set(emails);
  for (const mail of stored)
    for (const to of mail.destination.to) if (audience.has(to)) perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
  const lost = emails.filter((e) => !perRecipient.has(e)).length;
  const sentTwice = [...perRecipient.values()].reduce((s, n) => s + n - 1, 0);
  const stats = (await (await fetch(`${runtime.apiUrl}/campaigns/${campaignId}/stats`)).json()) as CampaignStats;

  const sendingSeconds = (traffic.lastAcceptedAt! - started) / 1000;
  const achievedRate = options.recipients / sendingSeconds;
  const per1000 = (n: number) => Number(((n / options.recipients) * 1000).toFixed(1));
  return {
    recipients: options.recipients,
    configuredRate: options.rate,
    achievedRate: Number(achievedRate.toFixed(1)),
    achievedOverConfigured: Number((achievedRate / options.rate).toFixed(3)),
    sesCallsPer1000Recipients: per1000(traffic.calls),
    throttledCalls: traffic.throttledCalls,
    lost,
    sentTwice,
    status: stats.status,
    sendingSent: stats.sending.sent,
    senderInvocationsPer1000Recipients: per1000(invocations),
    dynamodbWriteUnitsPerRecipient: Number((meter.writeUnits / options.recipients).toFixed(2)),
    dynamodbReadUnitsPerRecipient: Number((meter.readUnits / options.recipients).toFixed(2)),
    senderMillisecondsPerInvocation: Math.round((q.consumerMilliseconds - before.milliseconds) / Math.max(1, invocations)),
    sendQueueRequestsPerRecipient: Number(((q.sendRequests - before.requests) / options.recipients).toFixed(4)),
    sendQueueMessagesPerRecipient: Number(((q.delivered - before.delivered) / options.recipients).toFixed(4)),
    seconds: Number(seconds.toFixed(1)),
  };
}
