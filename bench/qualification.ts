import { meterCapacity } from '../adapters/dynamodb/capacity-meter';
import { sesEventsPattern, leadQualifiedPattern } from '../infra/event-patterns';
import type { EventEnvelope } from '../infra/local/event-bus';
import { startLocalRuntime, type LocalRuntime } from '../infra/local/runtime';
import type { OutgoingMessage } from '../lib/sending/ports';

export interface QualificationFigures {
  /** Clicks one at a time: click published → sales email accepted by the local SES. */
  sequential: { clicks: number; p50Ms: number; p95Ms: number; maxMs: number };
  /** All clicks published at once: the same latency under a burst. */
  burst: { clicks: number; p50Ms: number; p95Ms: number; maxMs: number };
  leads: number;
  /** Sales emails after every Click event and every Lead Qualified event was delivered twice more. */
  notificationsSent: number;
  /** Contacts that got more than one sales email: the goal is 0. */
  notificationsSentTwice: number;
  /** DynamoDB units the qualifying path spent per qualifying click (engagement recording included). */
  writeUnitsPerQualifyingClick: number;
  readUnitsPerQualifyingClick: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const summary = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { clicks: s.length, p50Ms: Math.round(quantile(s, 0.5)), p95Ms: Math.round(quantile(s, 0.95)), maxMs: Math.round(s.at(-1)!) };
};

/** `n` contacts that fit the profile, and a campaign sent to them all. */
async function sentCampaign(runtime: LocalRuntime, n: number) {
  const contacts = Array.from({ length: n }, (_, i) => ({
    email: `buyer${i}@northwind.example`,
    firstName: `B${i}`,
    company: 'Northwind',
    industry: 'Software',
    country: 'DE',
    consent: true,
  }));
  for (let i = 0; i < n; i += 1000) await runtime.app.importContacts(contacts.slice(i, i + 1000));
  const profile = await runtime.app.createProfile({ name: 'Software', industries: ['Software'] });
  const campaign = await runtime.app.createCampaign({
    name: 'bench',
    subject: 'Hi',
    fromAddress: 'news@acme.example',
    profileId: profile.profileId,
    textTemplate: 'Hi',
    htmlTemplate: '<p><a href="https://acme.example/pricing">Pricing</a></p>',
  });
  await runtime.app.startSend(campaign.campaignId);
  await runtime.settle();
  return { contacts, campaign };
}

/** Every Click event and every Lead Qualified event the buses carry, kept to deliver them again. */
function tapDeliveries(runtime: LocalRuntime) {
  const clicks: EventEnvelope[] = [];
  const qualified: EventEnvelope[] = [];
  runtime.buses.default.addRule('bench-clicks', sesEventsPattern(runtime.app.config.configurationSetName), async (e) => {
    if (e['detail-type'] === 'Email Clicked') clicks.push(e);
  });
  runtime.buses.project.addRule('bench-leads', leadQualifiedPattern, async (e) => void qualified.push(e));
  return { clicks, qualified };
}

/** SES accepted the sales email when SendEmail returns: time it there, and count per contact. */
function watchSalesEmails(runtime: LocalRuntime) {
  const accepted = new Map<string, number>();
  const sends = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const inner = runtime.app.adapters.salesMail;
  runtime.app.adapters.salesMail = {
    async send(message: OutgoingMessage) {
      const result = await inner.send(message);
      // The sales email names its lead in its own tags (never `contactId`: it must not count as campaign mail).
      const id = message.tags.leadContactId!;
      sends.set(id, (sends.get(id) ?? 0) + 1);
      if (!accepted.has(id)) accepted.set(id, performance.now());
      waiting.get(id)?.();
      return result;
    },
  };
  /** Resolves when the contact's first sales email is accepted, with the time it was. */
  const firstAccepted = (contactId: string) =>
    new Promise<number>((resolve) => waiting.set(contactId, () => resolve(accepted.get(contactId)!)));
  return { sends, firstAccepted };
}

/** At-least-once delivery everywhere: every click and every Lead Qualified event, twice more. */
async function redeliverTwice(runtime: LocalRuntime, delivered: { clicks: EventEnvelope[]; qualified: EventEnvelope[] }) {
  for (let round = 0; round < 2; round++) {
    for (const e of [...delivered.clicks]) await runtime.buses.default.publish(e);
    await runtime.settle();
    for (const e of [...delivered.qualified]) await runtime.buses.project.publish(e);
    await runtime.settle();
  }
}

/** The activity ledger's cost: the same shuffled log, for a known campaign and for an unknown one. */
/**
 * The qualifying path end to end on the embedded stack, as on AWS: a human click (SES Click event on
 * the default bus) → events queue → engagement handler → qualification → Lead Qualified on the
 * project bus → notifier → SES SendEmail accepted. Then every click and every Lead Qualified event is
 * delivered twice more, and sales emails are counted per contact.
 */
export async function benchQualification(options: { clicks: number; burst: number }): Promise<QualificationFigures> {
  const runtime = await startLocalRuntime();
  try {
    const { contacts, campaign } = await sentCampaign(runtime, options.clicks + options.burst);
    const delivered = tapDeliveries(runtime);
    const { sends, firstAccepted } = watchSalesEmails(runtime);
    const click = async (i: number) => {
      const contactId = runtime.app.contactIds.idFor(contacts[i]!.email);
      const message = runtime.sesPlayback.messageFor(campaign.campaignId, contactId)!;
      const accepted = firstAccepted(contactId);
      const started = performance.now();
      await runtime.sesPlayback.click(message.token, 'https://acme.example/pricing', {
        userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0',
        ipAddress: '198.51.100.7',
        at: new Date(Date.parse(message.sentAt) + 600_000).toISOString(),
      });
      return (await accepted) - started;
    };

    const meter = meterCapacity(runtime.clients.dynamodb);
    const sequential: number[] = [];
    for (let i = 0; i < options.clicks; i++) sequential.push(await click(i));
    const units = { write: meter.writeUnits, read: meter.readUnits };
    const burst = await Promise.all(Array.from({ length: options.burst }, (_, k) => click(options.clicks + k)));
    await runtime.settle();

    await redeliverTwice(runtime, delivered);
    const leads = (await runtime.app.adapters.leads.listByCampaign(campaign.campaignId)).items.length;
    return {
      sequential: summary(sequential),
      burst: summary(burst),
      leads,
      notificationsSent: [...sends.values()].reduce((a, b) => a + b, 0),
      notificationsSentTwice: [...sends.values()].filter((c) => c > 1).length,
      writeUnitsPerQualifyingClick: Number((units.write / options.clicks).toFixed(2)),
      readUnitsPerQualifyingClick: Number((units.read / options.clicks).toFixed(2)),
    };
  } finally {
    await runtime.stop();
  }
}
