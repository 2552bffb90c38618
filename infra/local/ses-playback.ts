import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CampaignMailSender, MailSender, OutgoingMessage, SendOutcome } from '../../lib/sending/ports';
import type { Clock } from '../../lib/common/ports';
import { type ScriptedEvent, simulatorEvents } from './mailbox-simulator';
import { sesEvent } from './ses-events';

/** What the local "mailbox provider" does with a message: SES would learn it from the receiving MTA. */
export type DeliveryOutcome = 'deliver' | { bounce: 'Permanent' | 'Transient' };

interface TrackedMail {
  messageId: string;
  sentAt: string;
  from: string;
  to: string;
  subject: string;
  campaignId: string;
  contactId: string;
  links: Set<string>;
  /** SES link tags per link, from the anchor's `ses:tags="name:value;…"` attribute. */
  linkTags: Map<string, Record<string, string[]>>;
}

/** `ses:tags="intent:pricing;topic:cost;"` → { intent: ['pricing'], topic: ['cost'] }, as SES reports them on Click events. */
export function parseLinkTags(attribute: string): Record<string, string[]> {
  const tags: Record<string, string[]> = {};
  for (const pair of attribute.split(';')) {
    const [name, value] = pair.split(':').map((x) => x.trim());
    if (name && value) tags[name] = [...(tags[name] ?? []), value];
  }
  return tags;
}

/** What the local "mailbox provider" answers for an address that is not the simulator's: a Delivery, or a bounce. */
function outcomeEvents(outcome: DeliveryOutcome): ScriptedEvent[] {
  if (outcome === 'deliver') return [{ type: 'Delivery', afterMs: 1_500, facts: {} }];
  return [{ type: 'Bounce', afterMs: 1_500, facts: { bounceType: outcome.bounce, bounceSubType: 'General' } }];
}

/** A campaign message rewritten for tracking, with what its tracked links are. */
interface Tracked {
  message: OutgoingMessage;
  token: string;
  links: Set<string>;
  linkTags: Map<string, Record<string, string[]>>;
}

export interface SesPlaybackOptions {
  /** Publishes an EventBridge envelope on the local default bus. */
  publish: (envelope: Record<string, unknown>) => Promise<void>;
  /** Base URL of the local tracking endpoints, e.g. http://127.0.0.1:3000/t */
  trackingBaseUrl: string;
  configurationSetName: string;
  clock: Clock;
  /** @default every message is delivered */
  outcome?: (to: string) => DeliveryOutcome;
}

const pixel = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * Plays SES's part locally, around the real SES v2 client talking to the SES stand-in (which emits
 * no events): like SES with open and click tracking on, it rewrites links through a tracking
 * endpoint and adds an open pixel, then publishes Send and Delivery (or Bounce) events in SES's
 * shapes (the mailbox simulator's addresses answer as on SES: mailbox-simulator.ts); the tracking endpoints publish Open and Click when a person (or the demo audience) uses them.
 */
export class SesPlayback implements MailSender, CampaignMailSender {
  private readonly mails = new Map<string, TrackedMail>();
  private readonly tokenOf = new Map<string, string>();
  private readonly tokenOfRecipient = new Map<string, string>();

  constructor(
    private readonly inner: MailSender & CampaignMailSender,
    private readonly options: SesPlaybackOptions,
  ) {}

  get maxBatch() {
    return this.inner.maxBatch;
  }

  async send(message: OutgoingMessage) {
    const { campaignId, contactId } = message.tags;
    if (!campaignId || !contactId) return this.inner.send(message); // not campaign mail: no tracking
    const tracked = this.track(message);
    const { messageId } = await this.inner.send(tracked.message);
    await this.accepted(message, messageId, tracked);
    return { messageId };
  }

  /** Like SES with tracking on: each accepted message of the batch gets its Send and Delivery (or Bounce) events. */
  async sendBatch(messages: OutgoingMessage[]): Promise<SendOutcome[]> {
    const tracked = messages.map((m) => this.track(m));
    const outcomes = await this.inner.sendBatch(tracked.map((t) => t.message));
    for (const [i, outcome] of outcomes.entries()) if (outcome.ok) await this.accepted(messages[i]!, outcome.messageId, tracked[i]!);
    return outcomes;
  }

  /**
   * Rewrites links through the tracking endpoint and adds the open pixel, as SES does: every http(s)
   * link of the HTML part, whoever it points to (the pipeline's own unsubscribe link included),
   * unless its anchor carries `ses:no-track`. The text part is left as it is: SES tracks HTML only.
   */
  private track(message: OutgoingMessage): Tracked {
    const token = randomBytes(12).toString('base64url');
    const links = new Set<string>();
    const linkTags = new Map<string, Record<string, string[]>>();
    const html = message.html.replace(/<a\b[^>]*>/gi, (tag) => {
      const href = /\shref\s*=\s*(["'])(https?:\/\/.*?)\1/i.exec(tag);
      if (!href || /\sses:no-track\b/i.test(tag)) return tag;
      const decoded = href[2]!.replace(/&amp;/g, '&');
      links.add(decoded);
      const tags = /\sses:tags\s*=\s*(["'])(.*?)\1/i.exec(tag);
      if (tags) linkTags.set(decoded, parseLinkTags(tags[2]!));
      // Like SES: the link goes through the tracking endpoint and the tag attribute is not delivered.
      return tag
        .replace(href[0], ` href="${this.options.trackingBaseUrl}/c/${token}?u=${encodeURIComponent(decoded)}"`)
        .replace(/\sses:tags\s*=\s*(["'])(.*?)\1/i, '');
    });
    const openPixel = `<img src="${this.options.trackingBaseUrl}/o/${token}.gif" width="1" height="1" alt="" style="display:none">`;
    const withPixel = html.includes('</body>') ? html.replace('</body>', `${openPixel}</body>`) : html + openPixel;
    return { message: { ...message, html: withPixel }, token, links, linkTags };
  }

  private async accepted(message: OutgoingMessage, messageId: string, tracked: Tracked) {
    const { campaignId, contactId } = message.tags;
    if (!campaignId || !contactId) return;
    const mail: TrackedMail = {
      messageId,
      sentAt: this.options.clock.now().toISOString(),
      from: message.from,
      to: message.to,
      subject: message.subject,
      campaignId,
      contactId,
      links: tracked.links,
      linkTags: tracked.linkTags,
    };
    this.mails.set(tracked.token, mail);
    this.tokenOf.set(messageId, tracked.token);
    this.tokenOfRecipient.set(`${campaignId}|${contactId}`, tracked.token);

    await this.emit('Send', mail, { at: mail.sentAt });
    // The mailbox simulator answers as SES documents, whatever `outcome` says of other addresses.
    const events = simulatorEvents(message.to) ?? outcomeEvents(this.options.outcome?.(message.to) ?? 'deliver');
    for (const e of events) await this.emit(e.type, mail, { ...e.facts, at: new Date(Date.parse(mail.sentAt) + e.afterMs).toISOString() });
  }

  /** The tracking token of a sent message (the demo audience uses it as a recipient's mail client would). */
  tokenFor(messageId: string): string | undefined {
    return this.tokenOf.get(messageId);
  }

  /** The tracking token and send time of a campaign's message to a contact. */
  messageFor(campaignId: string, contactId: string): { token: string; sentAt: string } | undefined {
    const token = this.tokenOfRecipient.get(`${campaignId}|${contactId}`);
    const mail = token ? this.mails.get(token) : undefined;
    return token && mail ? { token, sentAt: mail.sentAt } : undefined;
  }

  async open(token: string, actor: { userAgent?: string; ipAddress?: string; at?: string }): Promise<boolean> {
    const mail = this.mails.get(token);
    if (!mail) return false;
    await this.emit('Open', mail, {
      at: actor.at ?? this.options.clock.now().toISOString(),
      userAgent: actor.userAgent,
      ipAddress: actor.ipAddress,
    });
    return true;
  }

  /** Records a click on one of the message's own links; anything else is refused (no open redirect). */
  async click(token: string, url: string, actor: { userAgent?: string; ipAddress?: string; at?: string }): Promise<boolean> {
    const mail = this.mails.get(token);
    if (!mail?.links.has(url)) return false;
    await this.emit('Click', mail, {
      at: actor.at ?? this.options.clock.now().toISOString(),
      link: url,
      linkTags: mail.linkTags.get(url),
      userAgent: actor.userAgent,
      ipAddress: actor.ipAddress,
    });
    return true;
  }

  /** Serves `/t/o/<token>.gif` and `/t/c/<token>?u=<url>`; returns false for other paths. */
  handleTrackingRequest = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://local');
    const base = new URL(this.options.trackingBaseUrl).pathname.replace(/\/$/, '');
    if (!url.pathname.startsWith(`${base}/`)) return false;
    const rest = url.pathname.slice(base.length + 1);
    const actor = { userAgent: req.headers['user-agent'], ipAddress: req.socket.remoteAddress?.replace(/^::ffff:/, '') };
    const [kind, raw] = rest.split('/');
    if (kind === 'o' && raw) {
      void this.open(raw.replace(/\.gif$/, ''), actor).finally(() => {
        res.writeHead(200, { 'content-type': 'image/gif', 'cache-control': 'no-store' }).end(pixel);
      });
      return true;
    }
    if (kind === 'c' && raw) {
      const target = url.searchParams.get('u') ?? '';
      void this.click(raw, target, actor).then((ok) => {
        if (ok) res.writeHead(302, { location: target }).end();
        else res.writeHead(404, { 'content-type': 'text/plain' }).end('unknown tracking link');
      });
      return true;
    }
    return false;
  };

  private async emit(
    type: 'Send' | 'Delivery' | 'Bounce' | 'Complaint' | 'Open' | 'Click',
    mail: TrackedMail,
    details: Parameters<typeof sesEvent>[2],
  ) {
    const envelope = sesEvent(
      type,
      {
        messageId: mail.messageId,
        sentAt: mail.sentAt,
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        configurationSet: this.options.configurationSetName,
        campaignId: mail.campaignId,
        contactId: mail.contactId,
      },
      details,
    );
    await this.options.publish(envelope as unknown as Record<string, unknown>);
  }
}
