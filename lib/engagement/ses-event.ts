import { z } from 'zod';
import { shortHash } from '../common/ids';

/**
 * SES sending events as EventBridge delivers them (`source: aws.ses`), parsed at the edge into the
 * domain's `EngagementEvent`. Unknown fields are accepted (SES adds fields over time); an event we
 * cannot attribute or understand becomes a `RejectedEvent` with a reason, for the dead-letter path.
 */

export const engagementEventTypes = [
  'send',
  'delivery',
  'open',
  'click',
  'bounce',
  'complaint',
  'reject',
  'deliveryDelay',
  'renderingFailure',
  'subscription',
] as const;
export type EngagementEventType = (typeof engagementEventTypes)[number];

export interface EngagementEvent {
  /** Content-derived identity: the same SES event delivered twice (by any path) has the same key. */
  key: string;
  type: EngagementEventType;
  campaignId: string;
  contactId: string;
  messageId: string;
  /** When SES accepted the message (`mail.timestamp`): the reference for "seconds after send" rules. */
  sentAt: string;
  /** When the event happened. */
  at: string;
  link?: string;
  linkTags?: Record<string, string[]>;
  userAgent?: string;
  ipAddress?: string;
  bounceType?: string;
  bounceSubType?: string;
  complaintFeedbackType?: string;
  /** Reject reason, rendering error, or delay type. */
  reason?: string;
  unsubscribeAll?: boolean;
  /** The account that sent it: `mail.sendingAccountId` (checked against the envelope's `account`). */
  account?: string;
  /** The configuration set SES names in `mail.tags['ses:configuration-set']`. */
  configurationSet?: string;
}

export interface RejectedEvent {
  reason: string;
  /** The EventBridge id when it could be read, for tracing the raw event. */
  eventId?: string;
}

export type ParseResult = { ok: true; event: EngagementEvent } | { ok: false; rejected: RejectedEvent };

/**
 * SES's own limit (SES API v2 `MessageTag`): a tag's name and value hold at most 256 characters,
 * so a longer one did not come from SES. Links are bounded at 2,048 characters (the common
 * practical URL limit, and the issue's): a longer one would bloat per-link stats and the items.
 */
export const MAX_TAG_LENGTH = 256;
export const MAX_LINK_LENGTH = 2048;

/** SES tag values we write: ASCII letters, digits, `_` and `-` (SES's own rule), at most 256. */
const tagValue = z.string().regex(/^[A-Za-z0-9_-]{1,256}$/);
const tagList = z.array(z.string()).min(1);

const mailSchema = z.object({
  timestamp: z.iso.datetime({ offset: true }),
  messageId: z.string().min(1),
  destination: z.array(z.string()).optional(),
  sendingAccountId: z.string().optional(),
  tags: z.record(z.string(), tagList).optional(),
});

const timestamped = z.looseObject({ timestamp: z.iso.datetime({ offset: true }) });

const detailSchemas = {
  Send: z.looseObject({ send: z.looseObject({}).optional() }),
  Delivery: z.looseObject({ delivery: timestamped }),
  Open: z.looseObject({
    open: timestamped.extend({ userAgent: z.string().optional(), ipAddress: z.string().optional() }),
  }),
  Click: z.looseObject({
    click: timestamped.extend({
      link: z.string().min(1),
      linkTags: z.record(z.string(), z.array(z.string())).optional(),
      userAgent: z.string().optional(),
      ipAddress: z.string().optional(),
    }),
  }),
  Bounce: z.looseObject({
    bounce: timestamped.extend({ bounceType: z.string(), bounceSubType: z.string().optional() }),
  }),
  Complaint: z.looseObject({
    complaint: timestamped.extend({ complaintFeedbackType: z.string().optional() }),
  }),
  Reject: z.looseObject({ reject: z.looseObject({ reason: z.string().optional() }) }),
  DeliveryDelay: z.looseObject({ deliveryDelay: timestamped.extend({ delayType: z.string().optional() }) }),
  'Rendering Failure': z.looseObject({ failure: z.looseObject({ errorMessage: z.string().optional() }) }),
  Subscription: z.looseObject({
    subscription: timestamped.extend({
      newTopicPreferences: z.looseObject({ unsubscribeAll: z.boolean().optional() }).optional(),
    }),
  }),
} as const;
type SesEventType = keyof typeof detailSchemas;

const envelopeSchema = z.looseObject({
  id: z.string().optional(),
  source: z.literal('aws.ses'),
  'detail-type': z.string(),
  detail: z.looseObject({ eventType: z.string(), mail: mailSchema }),
});

const typeMap: Record<SesEventType, EngagementEventType> = {
  Send: 'send',
  Delivery: 'delivery',
  Open: 'open',
  Click: 'click',
  Bounce: 'bounce',
  Complaint: 'complaint',
  Reject: 'reject',
  DeliveryDelay: 'deliveryDelay',
  'Rendering Failure': 'renderingFailure',
  Subscription: 'subscription',
};

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** Parses one EventBridge event (already JSON-decoded) into an engagement event or a rejection. */
export function parseSesEvent(raw: unknown): ParseResult {
  const envelope = envelopeSchema.safeParse(raw);
  const eventId = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : undefined;
  if (!envelope.success) {
    return { ok: false, rejected: { eventId, reason: `not an SES event: ${describe(envelope.error)}` } };
  }
  const { detail } = envelope.data;
  const sesType = detail.eventType as SesEventType;
  const schema = detailSchemas[sesType];
  if (!schema) return { ok: false, rejected: { eventId, reason: `unknown SES eventType "${detail.eventType}"` } };

  const campaignId = tagValue.safeParse(detail.mail.tags?.campaignId?.[0]);
  const contactId = tagValue.safeParse(detail.mail.tags?.contactId?.[0]);
  if (!campaignId.success || !contactId.success) {
    return { ok: false, rejected: { eventId, reason: 'not ours: missing or invalid campaignId/contactId tags' } };
  }
  const parsed = schema.safeParse(detail);
  if (!parsed.success) {
    return { ok: false, rejected: { eventId, reason: `malformed ${sesType} event: ${describe(parsed.error)}` } };
  }
  const oversized = oversizedPart(detail.mail.tags, parsed.data as SesDetail);
  if (oversized) return { ok: false, rejected: { eventId, reason: oversized } };
  const envelopeAccount = (raw as { account?: unknown }).account;
  const { sendingAccountId } = detail.mail;
  if (typeof envelopeAccount === 'string' && sendingAccountId && envelopeAccount !== sendingAccountId) {
    return { ok: false, rejected: { eventId, reason: `foreign account: sendingAccountId ${sendingAccountId} is not the bus account` } };
  }
  const ids = { campaignId: campaignId.data, contactId: contactId.data };
  const event = engagementEventOf(typeMap[sesType], ids, detail.mail, parsed.data as SesDetail);
  const account = sendingAccountId ?? envelopeAccount;
  if (typeof account === 'string') event.account = account;
  const configurationSet = detail.mail.tags?.['ses:configuration-set']?.[0];
  if (configurationSet) event.configurationSet = configurationSet;
  return { ok: true, event };
}

/** A link or a tag larger than SES ever sends: the event did not come from SES as it is. */
function oversizedPart(tags: Record<string, string[]> | undefined, d: SesDetail): string | undefined {
  const link = d.click?.link as string | undefined;
  if (link && link.length > MAX_LINK_LENGTH) return `link over ${MAX_LINK_LENGTH} characters (${link.length})`;
  for (const [where, set] of [
    ['mail tag', tags],
    ['link tag', d.click?.linkTags as Record<string, string[]> | undefined],
  ] as const) {
    for (const [name, values] of Object.entries(set ?? {})) {
      if (name.length > MAX_TAG_LENGTH || values.some((v) => v.length > MAX_TAG_LENGTH)) {
        return `oversized tag: a ${where} name or value over ${MAX_TAG_LENGTH} characters`;
      }
    }
  }
  return undefined;
}

/** A validated SES event detail: one object per event type (`delivery`, `open`, `click` …). */
type SesDetail = Record<string, Record<string, unknown> | undefined>;

function engagementEventOf(
  type: EngagementEventType,
  ids: { campaignId: string; contactId: string },
  mail: z.infer<typeof mailSchema>,
  d: SesDetail,
): EngagementEvent {
  const body = (d.delivery ?? d.open ?? d.click ?? d.bounce ?? d.complaint ?? d.deliveryDelay ?? d.subscription) as
    | Record<string, unknown>
    | undefined;
  const at = (body?.timestamp as string | undefined) ?? mail.timestamp;
  const event: EngagementEvent = {
    key: '',
    type,
    ...ids,
    messageId: mail.messageId,
    sentAt: new Date(mail.timestamp).toISOString(),
    at: new Date(at).toISOString(),
  };
  copyTypeFields(event, d);
  event.key = eventKey(event);
  return event;
}

/**
 * Identity from content, not from the EventBridge id: SES may publish the same event twice under
 * two envelope ids, and a replay of a captured event keeps its content.
 */
function eventKey(e: Pick<EngagementEvent, 'type' | 'messageId' | 'at' | 'link' | 'userAgent'>): string {
  return shortHash([e.type, e.messageId, e.at, e.link ?? '', e.userAgent ?? ''].join('|'), 16);
}

/**
 * The Send event every other event of a message implies. SES publishes a Send for each message it
 * accepts, before anything else about it, and a Send's content is only what every event of the
 * message carries (its message id, `mail.timestamp`, tags): so the Send implied here has the key
 * SES's own Send event has, and the two are one event to the recipient's dedup set. This is what
 * lets a Send event that only confirms a recorded send be acknowledged without a write
 * (docs/engagement.md, "Send events ride on the next event").
 */
export function impliedSendOf(event: EngagementEvent): EngagementEvent {
  const send: EngagementEvent = {
    key: '',
    type: 'send',
    campaignId: event.campaignId,
    contactId: event.contactId,
    messageId: event.messageId,
    sentAt: event.sentAt,
    at: event.sentAt,
    ...(event.account ? { account: event.account } : {}),
    ...(event.configurationSet ? { configurationSet: event.configurationSet } : {}),
  };
  send.key = eventKey(send);
  return send;
}

/** What each event type adds: the link, the user agent and IP of an open or click, the bounce type, a reason, an unsubscribe. */
function copyTypeFields(event: EngagementEvent, d: SesDetail): void {
  if (d.click) {
    event.link = d.click.link as string;
    event.linkTags = d.click.linkTags as Record<string, string[]> | undefined;
  }
  const actor = d.open ?? d.click;
  if (actor) {
    event.userAgent = actor.userAgent as string | undefined;
    event.ipAddress = actor.ipAddress as string | undefined;
  }
  if (d.bounce) {
    event.bounceType = d.bounce.bounceType as string;
    event.bounceSubType = d.bounce.bounceSubType as string | undefined;
  }
  if (d.complaint) event.complaintFeedbackType = d.complaint.complaintFeedbackType as string | undefined;
  if (d.reject) event.reason = d.reject.reason as string | undefined;
  if (d.failure) event.reason = d.failure.errorMessage as string | undefined;
  if (d.deliveryDelay) event.reason = d.deliveryDelay.delayType as string | undefined;
  if (d.subscription) {
    const prefs = d.subscription.newTopicPreferences as { unsubscribeAll?: boolean } | undefined;
    event.unsubscribeAll = prefs?.unsubscribeAll ?? false;
  }
}
