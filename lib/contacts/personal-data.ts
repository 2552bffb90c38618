import type { Campaign } from '../sending/campaign';
import type { Contact } from './contact';
import { emptyRecipient, type RecipientEngagement } from '../engagement/recipient';
import { classifyClicks, type MachineRules } from '../engagement/machine-activity';
import { ConcurrentUpdateError, NotFoundError } from '../common/errors';
import type { Lead } from '../qualification/lead';
import type { ActivityStore, LeadStore } from '../qualification/ports';
import type { CampaignStore, SendLedger, SendRecord } from '../sending/ports';
import type { Clock } from '../common/ports';
import type { ContactStore } from './ports';
import type { EngagementStore, StoredRecipient } from '../engagement/ports';
import type { Activity } from '../qualification/evaluate';
import type { DeadLetterSink } from '../engagement/ports';
import type { ReportStore } from '../reports/ports';
import type { IdempotencyStore } from '../common/idempotency';
import { eraseFromReports } from '../reports/erase-from-reports';
import { redactNotesMentioning } from '../qualification/redact-notes';
import { mentionPattern, redactMentions } from '../common/mentions';

/**
 * Data-subject requests: export everything held about a contact, and erase it.
 *
 * A contact's engagement lives in each campaign's partition (`CAMPAIGN#id / RCPT#contactId`), so
 * both walk the campaign list a page at a time and read this contact's recipient and send records
 * of each page in two batch reads. That costs a read per campaign per request (rare requests), and
 * nothing on the engagement path, where a contact → campaigns index would cost a write per recipient.
 */
export interface PersonalDataDeps {
  contacts: ContactStore;
  campaigns: CampaignStore;
  engagement: EngagementStore;
  ledger: SendLedger;
  leads: LeadStore;
  /** The activity ledger (docs/qualification.md): exported and sealed with the rest. */
  activities: ActivityStore;
  clock: Clock;
  rules: MachineRules;
  /** Written reports: rewritten without the person on erasure (lib/reports/erase-from-reports.ts). */
  reports: ReportStore;
  /** Set-aside SES events: their bodies name recipients. */
  deadLetters: DeadLetterSink;
  /** Answers kept for Idempotency-Key replays (an import's row errors, a lead with its notes). */
  idempotency?: IdempotencyStore;
}

const PAGE = 100;
const key = (campaignId: string, contactId: string) => `${campaignId}|${contactId}`;

interface Footprint {
  campaign: Campaign;
  recipient?: StoredRecipient;
  send?: SendRecord;
}

/** Every campaign that sent to the contact or recorded engagement for it, with those records. */
async function* footprint(deps: PersonalDataDeps, contactId: string): AsyncGenerator<Footprint> {
  let cursor: string | undefined;
  do {
    const page = await deps.campaigns.list(cursor, PAGE);
    const refs = page.items.map((c) => ({ campaignId: c.campaignId, contactId }));
    const [recipients, sends] = await Promise.all([deps.engagement.getRecipients(refs), deps.ledger.records(refs)]);
    for (const campaign of page.items) {
      const k = key(campaign.campaignId, contactId);
      if (recipients.has(k) || sends.has(k)) yield { campaign, recipient: recipients.get(k), send: sends.get(k) };
    }
    cursor = page.cursor;
  } while (cursor);
}

export interface CampaignEngagementExport {
  campaignId: string;
  campaignName: string;
  subject: string;
  send?: { sentAt?: string; failedAt?: string; failure?: string };
  engagement?: {
    sentAt?: string;
    deliveredAt?: string;
    bounce?: { type: string; subType?: string };
    complainedAt?: string;
    unsubscribedAt?: string;
    opens: { at: string; machine?: string }[];
    clicks: { at: string; url: string; machine?: string }[];
    erasedAt?: string;
  };
}

export interface ContactExport {
  exportedAt: string;
  contact: Contact;
  campaigns: CampaignEngagementExport[];
  lead: Lead | null;
  /** Closed leads of earlier lifecycles. */
  earlierLeads: Lead[];
  /** The scored activities qualification keeps for the contact (clicks, opens, engagement events). */
  activities: Activity[];
}

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

function engagementOf(state: RecipientEngagement, campaign: Campaign, rules: MachineRules): CampaignEngagementExport['engagement'] {
  const flags = classifyClicks(state.clicks, rules);
  return {
    sentAt: state.sentAt,
    deliveredAt: state.deliveredAt,
    bounce: state.bounceType ? { type: state.bounceType, subType: state.bounceSubType } : undefined,
    complainedAt: state.complainedAt,
    unsubscribedAt: state.unsubscribedAt,
    opens: state.opens.map(([at, flag]) => ({ at: iso(at), machine: flag || undefined })),
    clicks: state.clicks.map(([at, linkId], i) => ({ at: iso(at), url: campaign.links[linkId] ?? linkId, machine: flags[i] || undefined })),
    erasedAt: state.erasedAt,
  };
}

/** Everything held about one contact, in one JSON document (a subject access request). */
export async function exportContact(deps: PersonalDataDeps, contactId: string): Promise<ContactExport> {
  const contact = await deps.contacts.get(contactId);
  if (!contact) throw new NotFoundError(`contact ${contactId} does not exist`);
  const campaigns: CampaignEngagementExport[] = [];
  for await (const { campaign, recipient, send } of footprint(deps, contactId)) {
    campaigns.push({
      campaignId: campaign.campaignId,
      campaignName: campaign.name,
      subject: campaign.subject,
      send: send && { sentAt: send.sentAt, failedAt: send.failedAt, failure: send.failure },
      engagement: recipient && engagementOf(recipient.state, campaign, deps.rules),
    });
  }
  return {
    exportedAt: deps.clock.now().toISOString(),
    contact,
    campaigns,
    lead: (await deps.leads.get(contactId)) ?? null,
    earlierLeads: await deps.leads.earlierLifecycles(contactId),
    activities: (await deps.activities.listForContact(contactId)).sort((a, b) => a.at.localeCompare(b.at)),
  };
}

/** What is left of a set-aside event addressed to an erased person. */
export const ERASED_EVENT_BODY = '[erased: this event was addressed to a contact whose data was erased]';

/** Every campaign id, a page at a time. */
async function* allCampaignIds(deps: Pick<PersonalDataDeps, 'campaigns'>): AsyncGenerator<string> {
  let cursor: string | undefined;
  do {
    const page = await deps.campaigns.list(cursor, PAGE);
    for (const c of page.items) yield c.campaignId;
    cursor = page.cursor;
  } while (cursor);
}

/**
 * Mentions of the person in free text held about others: sales's notes on other leads, the bodies
 * of set-aside SES events (which carry recipients' addresses), and answers kept for Idempotency-Key
 * replays. Done before the tombstone,
 * while the email and name are still known: a request that fails later is repeated, and repeats
 * this, with them.
 */
async function redactMentionsOf(deps: PersonalDataDeps, contact: Contact) {
  const pattern = contact.erasedAt ? undefined : mentionPattern(contact);
  if (!pattern) return { notesRedacted: 0, deadLettersRedacted: 0, answersRedacted: 0 };
  const notesRedacted = await redactNotesMentioning({ leads: deps.leads, campaignIds: () => allCampaignIds(deps) }, pattern);
  // An event addressed to the person holds more than their address (a personalised subject, a
  // display name): its body goes whole. Elsewhere each mention is replaced.
  const address = contact.email?.toLowerCase();
  const deadLettersRedacted = await deps.deadLetters.redactBodies((body) =>
    body.includes(contact.contactId) || (address && body.toLowerCase().includes(address))
      ? ERASED_EVENT_BODY
      : redactMentions(body, pattern),
  );
  const answersRedacted = (await deps.idempotency?.redactAnswers((json) => redactMentions(json, pattern))) ?? 0;
  return { notesRedacted, deadLettersRedacted, answersRedacted };
}

export interface ErasureResult {
  contactId: string;
  erasedAt: string;
  /** False when an earlier request had already erased the contact (this one completed anything left). */
  firstErasure: boolean;
  /** Campaigns whose records of the contact were emptied. */
  campaigns: number;
  leadAnonymised: boolean;
  /** Activities of the contact's ledger sealed (docs/qualification.md). */
  activitiesSealed: number;
  /** Report objects (CSV, JSON, HTML) rewritten without the person, earlier versions deleted. */
  reportObjectsRewritten: number;
  /** Sales notes on other leads in which the person's email or full name was replaced by `[erased]`. */
  notesRedacted: number;
  /** Set-aside SES events whose bodies named the person. */
  deadLettersRedacted: number;
  /** Answers kept for Idempotency-Key replays in which the person's email or full name was replaced. */
  answersRedacted: number;
}

const MAX_SEAL_ATTEMPTS = 8;

/**
 * Empties the contact's engagement in one campaign, keeping the recipient item as a sealed
 * tombstone with its version and uncounted pending deltas: the campaign's counters keep what the
 * person contributed, the recovery of a crashed batch still finds its pending entries, and a late or
 * replayed SES event finds the seal and counts nothing. A send record with no engagement yet gets a
 * seal too, so events of a message already sent are not recorded later.
 */
async function sealRecipient(
  deps: PersonalDataDeps,
  campaignId: string,
  contactId: string,
  current: StoredRecipient | undefined,
  at: string,
) {
  for (let attempt = 0; attempt < MAX_SEAL_ATTEMPTS; attempt++) {
    if (current?.state.erasedAt) return;
    const sealed: StoredRecipient = {
      state: { ...emptyRecipient(campaignId, contactId), erasedAt: at },
      version: (current?.version ?? 0) + 1,
      pending: current?.pending ?? {},
    };
    const write = await deps.engagement.putRecipient(sealed, current?.version ?? 0);
    if (write.written) return;
    current = write.current ?? (await deps.engagement.getRecipients([{ campaignId, contactId }])).get(key(campaignId, contactId));
  }
  throw new ConcurrentUpdateError(`engagement of contact ${contactId} in campaign ${campaignId} kept changing; retry the erasure`);
}

/**
 * Right to erasure. Mentions of the person in others' records are redacted first (sales notes,
 * set-aside events), then the contact becomes a tombstone (nothing mails or imports them from then
 * on), each campaign's records of them are emptied, the lead is anonymised, and every report
 * already written is rewritten without them (docs/api.md, "Erasure"). Every step is
 * idempotent, so a request that fails half-way is completed by repeating it. Campaign figures do not
 * change: they are sums already made, and the seals stop any later event from counting.
 */
export async function eraseContact(deps: PersonalDataDeps, contactId: string): Promise<ErasureResult> {
  const at = deps.clock.now().toISOString();
  const before = await deps.contacts.get(contactId);
  if (!before) throw new NotFoundError(`contact ${contactId} does not exist`);
  const mentions = await redactMentionsOf(deps, before);
  const outcome = await deps.contacts.erase(contactId, at);
  if (outcome === 'not-found') throw new NotFoundError(`contact ${contactId} does not exist`);
  const inCampaigns: Campaign[] = [];
  for await (const { campaign, recipient, send } of footprint(deps, contactId)) {
    await sealRecipient(deps, campaign.campaignId, contactId, recipient, at);
    if (send) await deps.ledger.forget(campaign.campaignId, contactId);
    inCampaigns.push(campaign);
  }
  const leadAnonymised = await deps.leads.anonymise(contactId, at);
  const activitiesSealed = await deps.activities.erase(contactId, at);
  // Last: a report written while this request ran may have read the person before the tombstone.
  const reportObjectsRewritten = await eraseFromReports(deps, contactId, inCampaigns);
  const contact = await deps.contacts.get(contactId);
  return {
    contactId,
    erasedAt: contact?.erasedAt ?? at,
    firstErasure: outcome === 'erased',
    campaigns: inCampaigns.length,
    leadAnonymised,
    activitiesSealed,
    reportObjectsRewritten,
    ...mentions,
  };
}
