import { z } from 'zod';

/**
 * Funnel stages after qualification: MQL → SAL (sales accepted: will follow it up) → SQL (sales
 * qualified: an opportunity) → meeting → proposal → won or lost. Stages move forward only unless
 * sales explicitly reopens a lead. `rejected` is sales declining an MQL or SAL; `recycled` sends a
 * rejected or stalled lead back to nurture (it may qualify again after the cool-down).
 */
export const leadStages = ['mql', 'sal', 'sql', 'meeting', 'proposal', 'won', 'lost', 'rejected', 'recycled'] as const;
export type LeadStage = (typeof leadStages)[number];
/** Stages that mean sales accepted the lead (reached SAL). An old `sql` made by `accept` is one of them. */
export const acceptedStages: readonly LeadStage[] = ['sal', 'sql', 'meeting', 'proposal', 'won', 'lost'];
/** Stages that mean sales qualified the lead (reached SQL). */
export const qualifiedStages: readonly LeadStage[] = ['sql', 'meeting', 'proposal', 'won', 'lost'];

/**
 * When sales accepted the lead: its SAL entry, else (a lead stored before SAL existed, which
 * `accept` moved straight to `sql`) its first SQL entry: it was accepted at that same moment.
 */
export function acceptedAt(lead: Pick<Lead, 'stageHistory'>): string | undefined {
  const history = lead.stageHistory ?? [];
  return (history.find((s) => s.stage === 'sal') ?? history.find((s) => s.stage === 'sql'))?.at;
}
/** When sales qualified the lead (its first SQL entry). */
export const sqlAt = (lead: Pick<Lead, 'stageHistory'>) => (lead.stageHistory ?? []).find((s) => s.stage === 'sql')?.at;
/** Reached SAL: in its history (it counts once reached, even if later rejected or recycled) or its stage. */
export const reachedSal = (lead: Pick<Lead, 'stage' | 'stageHistory'>) =>
  acceptedAt(lead) !== undefined || acceptedStages.includes(lead.stage);
/** Reached SQL: in its history or its stage. */
export const reachedSql = (lead: Pick<Lead, 'stage' | 'stageHistory'>) => sqlAt(lead) !== undefined || qualifiedStages.includes(lead.stage);

/** Why sales rejected an MQL: a fixed list, so MQL → SQL rates can be read per reason. */
export const rejectionReasons = [
  'not-a-fit',
  'no-budget',
  'no-authority',
  'no-need',
  'bad-timing',
  'existing-customer',
  'competitor',
  'student',
  'duplicate',
  'unreachable',
  'other',
] as const;
export type RejectionReason = (typeof rejectionReasons)[number];

/** How the lead's owner was chosen (docs/qualification.md, "Routing"). */
export type RoutedBy = 'contact-owner' | 'territory' | 'default';

export interface StageChange {
  stage: LeadStage;
  at: string;
  /** Who moved it (the API caller's identity when known). */
  by?: string;
  reason?: string;
  note?: string;
}

/** A marketing-qualified lead: made once per contact lifecycle, with the reasons that made it. */
export interface Lead {
  /** `ld_<contactId>` for the first lifecycle, `ld_<contactId>_<n>` after a re-qualification. */
  leadId: string;
  contactId: string;
  /** 1 for the first MQL; +1 each time the contact re-qualifies after a rejection's cool-down. */
  lifecycle: number;
  /** The campaign whose engagement tipped the contact over; absent when an API event did. */
  campaignId?: string;
  criteriaId: string;
  criteriaVersion: number;
  /** @deprecated the criteria id; kept under its old name for existing readers (reports). */
  profileId: string;
  /** @deprecated the criteria version; kept under its old name for existing readers (reports). */
  profileVersion: number;
  qualifiedAt: string;
  /** Plain-words reasons (fit and engagement) shown to sales. */
  reasons: string[];
  fit: { score: number; threshold: number; matched: { rule: string; points: number; reason: string }[] };
  engagement: {
    score: number;
    threshold: number;
    contributions: { key: string; at: string; what: string; points: number; worth: number }[];
  };
  handRaiser: boolean;
  /** The activity at whose moment the contact qualified. */
  trigger: { kind: 'click' | 'open' | 'event'; linkUrl?: string; intent?: string; eventType?: string; clickedAt: string; at: string };
  stage: LeadStage;
  stageHistory: StageChange[];
  rejectionReason?: RejectionReason;
  /** When the lead was last closed (rejected or lost): the cool-down counts from here. */
  closedAt?: string;
  /** Sales owner the notification went to. */
  owner: string;
  routedBy: RoutedBy;
  /** The territory that routed it, when one did. */
  territory?: string;
  publishedAt?: string;
  notifiedAt?: string;
  /**
   * Set when the qualifying moment was older than the freshness window when the lead was made (late
   * events, back-dated activity): a historical MQL, counted and listed, that alerts nobody.
   */
  historical?: boolean;
  /** Speed-to-lead: when the owner is reminded and when the lead escalates (absent on historical leads). */
  followUp?: FollowUp;
  /** Set when the contact's data was erased: the reasons and the trigger's link are then gone. */
  erasedAt?: string;
}

/**
 * A lead as it stays after its contact's erasure: campaign, criteria, times, stages, scores and owner
 * (MQL and sales figures are unchanged); what described the person goes: the reasons, the matched
 * fit rules and engagement contributions (attribute values, links), the trigger's link, and sales's
 * free-text notes.
 */
export function anonymisedLead(lead: Lead, at: string): Lead {
  const { linkUrl, intent, ...trigger } = lead.trigger ?? ({} as Lead['trigger']);
  const copy: Lead = { ...lead, reasons: [], trigger, erasedAt: lead.erasedAt ?? at };
  if (lead.fit) copy.fit = { ...lead.fit, matched: [] };
  if (lead.engagement) copy.engagement = { ...lead.engagement, contributions: [] };
  if (lead.stageHistory) {
    copy.stageHistory = lead.stageHistory.map(({ note, reason, ...entry }) =>
      reason && (rejectionReasons as readonly string[]).includes(reason) ? { ...entry, reason } : entry,
    );
  }
  return copy;
}

/** The speed-to-lead clock of a lead: set when it is made, from its routing rule's target. */
export interface FollowUp {
  /** When the owner gets a reminder (the first mark). */
  remindAt: string;
  /** The follow-up target: the lead escalates when it is still not accepted then. */
  dueAt: string;
  /** Where an escalation goes: the next member of the routing team or a manager inbox. */
  escalateTo: string;
  /** The owner the lead was first routed to (the owner changes when it escalates to a person). */
  firstOwner: string;
  remindedAt?: string;
  escalatedAt?: string;
}

export function leadIdFor(contactId: string, lifecycle: number): string {
  return lifecycle === 1 ? `ld_${contactId}` : `ld_${contactId}_${lifecycle}`;
}

/** The event published on the project bus for CRM integrations (schema in docs/events.md). */
export const leadQualifiedDetailType = 'Lead Qualified';
export const projectEventSource = 'mql-pipeline';

/**
 * The `detail` of a Lead Qualified event, version 1. It carries ids, scores and reasons, never the
 * contact's email or name: consumers read the contact through the API (least PII on the bus).
 */
export const leadQualifiedDetailSchema = z.object({
  schemaVersion: z.literal(1),
  lead: z.looseObject({
    leadId: z.string(),
    contactId: z.string(),
    lifecycle: z.number().int().positive(),
    campaignId: z.string().optional(),
    criteriaId: z.string(),
    criteriaVersion: z.number().int().positive(),
    qualifiedAt: z.iso.datetime(),
    reasons: z.array(z.string()),
    fit: z.looseObject({ score: z.number(), threshold: z.number() }),
    engagement: z.looseObject({ score: z.number(), threshold: z.number() }),
    handRaiser: z.boolean(),
    trigger: z.looseObject({ kind: z.enum(['click', 'open', 'event']), at: z.iso.datetime() }),
    stage: z.enum(leadStages),
    owner: z.string(),
    routedBy: z.enum(['contact-owner', 'territory', 'default']),
  }),
});
export type LeadQualifiedDetail = z.infer<typeof leadQualifiedDetailSchema>;

export function leadQualifiedDetail(lead: Lead): LeadQualifiedDetail {
  return { schemaVersion: 1, lead: lead as unknown as LeadQualifiedDetail['lead'] };
}
