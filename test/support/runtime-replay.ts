import type { LocalRuntime } from '../../infra/local/runtime';
import { sesEvent, type SesEventType } from '../../infra/local/ses-events';
import type { EngagementEvent } from '../../lib/engagement/ses-event';

/**
 * An engagement log played through the embedded stack as SES would publish it: the benchmark and
 * the concurrent-consumers test replay the same log the same way.
 */

const sesType: Record<string, SesEventType> = {
  send: 'Send',
  delivery: 'Delivery',
  open: 'Open',
  click: 'Click',
  bounce: 'Bounce',
  complaint: 'Complaint',
  subscription: 'Subscription',
  deliveryDelay: 'DeliveryDelay',
};

/** An SES event as EventBridge would deliver it, carrying the same content as the domain event. */
export function envelopeOf(e: EngagementEvent) {
  return sesEvent(
    sesType[e.type]!,
    {
      messageId: e.messageId,
      sentAt: e.sentAt,
      from: 'news@acme.example',
      to: `${e.contactId}@northwind.example`,
      subject: 'Q3',
      configurationSet: 'mql-pipeline-events',
      campaignId: e.campaignId,
      contactId: e.contactId,
    },
    {
      at: e.at,
      link: e.link,
      linkTags: e.linkTags,
      userAgent: e.userAgent,
      ipAddress: e.ipAddress,
      bounceType: e.bounceType as 'Permanent' | undefined,
    },
  );
}

/**
 * The campaigns and send records the log's events are checked against (lib/engagement/verify-events.ts),
 * as the sender leaves them: a sent campaign, and each recipient's SES message id and send time.
 */
export async function recordSends(runtime: LocalRuntime, log: EngagementEvent[]): Promise<void> {
  const sends = new Map<string, { campaignId: string; contactId: string; messageId: string; at: string }>();
  for (const e of log) {
    const key = `${e.campaignId}|${e.contactId}`;
    const known = sends.get(key);
    if (!known || known.at < e.sentAt)
      sends.set(key, { campaignId: e.campaignId, contactId: e.contactId, messageId: e.messageId, at: e.sentAt });
  }
  // ISO instants compare as strings (Math.min would not take them).
  let first = log[0]!.sentAt;
  for (const e of log) if (e.sentAt < first) first = e.sentAt;
  for (const campaignId of new Set(log.map((e) => e.campaignId))) {
    await createSentCampaign(runtime, campaignId, 'bench', first, first);
    const mine = [...sends.values()].filter((s) => s.campaignId === campaignId);
    await runtime.app.adapters.ledger.recordOutcomes(
      campaignId,
      mine.map(({ contactId, messageId, at }) => ({ contactId, messageId, at, state: 'sent' as const })),
    );
  }
}

/** A campaign as the sender leaves it once sent: events for it are checked against it. */
export async function createSentCampaign(
  runtime: LocalRuntime,
  campaignId: string,
  name: string,
  createdAt: string,
  sendRequestedAt?: string,
): Promise<void> {
  await runtime.app.adapters.campaigns.create({
    campaignId,
    name,
    subject: 's',
    fromAddress: 'a@acme.example',
    htmlTemplate: 'h',
    textTemplate: 't',
    profileId: 'p',
    status: 'sent',
    profileVersion: 1,
    createdAt,
    ...(sendRequestedAt ? { sendRequestedAt } : {}),
    links: {},
  });
}
