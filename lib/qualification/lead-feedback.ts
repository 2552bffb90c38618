import { ConcurrentUpdateError, ConflictError, NotFoundError, ValidationError } from '../shared/errors';
import { acceptedStages, type Lead, type RejectionReason } from './lead';
import type { ActivityStore, LeadStore } from './ports';
import type { Clock, Page } from '../shared/ports';
import { feedbackRequestSchema, transition } from './stages';

/** Sales feedback on a contact's current lead: accept, reject with a reason, later stages, reopen. */
export async function leadFeedback(
  deps: { leads: LeadStore; clock: Clock },
  contactId: string,
  input: unknown,
): Promise<{ lead: Lead; changed: boolean }> {
  const parsed = feedbackRequestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('invalid feedback', parsed.error.issues);
  const request = parsed.data;
  for (let attempt = 0; attempt < 3; attempt++) {
    const lead = await deps.leads.get(contactId);
    if (!lead) throw new NotFoundError(`contact ${contactId} has no lead`);
    if (request.leadId && request.leadId !== lead.leadId) {
      throw new ConflictError(`the contact's current lead is ${lead.leadId}, not ${request.leadId} (it re-qualified since)`);
    }
    const at = deps.clock.now().toISOString();
    const t = transition(lead, request, at);
    if (t.kind === 'unchanged') return { lead, changed: false };
    const moved = await deps.leads.updateStage(
      contactId,
      { leadId: lead.leadId, stage: lead.stage },
      { stage: t.stage, entry: t.entry, rejectionReason: t.rejectionReason, closedAt: t.closedAt },
    );
    if (moved) {
      const next: Lead = { ...lead, stage: t.stage, stageHistory: [...(lead.stageHistory ?? []), t.entry] };
      if (t.rejectionReason) next.rejectionReason = t.rejectionReason;
      if (t.rejectionReason === null) delete next.rejectionReason;
      if (t.closedAt) next.closedAt = t.closedAt;
      if (t.closedAt === null) delete next.closedAt;
      return { lead: next, changed: true };
    }
    // Someone moved it meanwhile: read again and decide again (it may now be a no-op).
  }
  throw new ConcurrentUpdateError(`lead of ${contactId} is being changed concurrently; retry`);
}

/** A contact's current lead and its history: every scored activity, before and after it qualified. */
export async function getLead(deps: { leads: LeadStore; activities: ActivityStore }, contactId: string) {
  const lead = await deps.leads.get(contactId);
  if (!lead) throw new NotFoundError(`contact ${contactId} has no lead`);
  const activities = (await deps.activities.listForContact(contactId)).sort((a, b) => a.at.localeCompare(b.at));
  return { lead, history: activities.map((a) => ({ ...a, afterQualification: a.at > lead.qualifiedAt })) };
}

export interface RateRow {
  mqls: number;
  accepted: number;
  rejected: number;
  /** Still waiting for sales. */
  open: number;
  /** accepted ÷ mqls; null when there are none. */
  rate: number | null;
}
export interface QualificationRates {
  campaignIds: string[];
  total: RateRow;
  byCampaign: ({ campaignId: string } & RateRow)[];
  byCriteriaVersion: ({ criteriaId: string; version: number } & RateRow)[];
  /** Rejections by reason; `share` is of all rejections. */
  byRejectionReason: { reason: RejectionReason; count: number; share: number }[];
}

const row = (): RateRow => ({ mqls: 0, accepted: 0, rejected: 0, open: 0, rate: null });
function add(r: RateRow, lead: Lead) {
  r.mqls++;
  if (acceptedStages.includes(lead.stage)) r.accepted++;
  else if (lead.stage === 'rejected') r.rejected++;
  else r.open++;
  r.rate = r.accepted / r.mqls;
}

/**
 * MQL → SQL rates of the given campaigns' leads (every lifecycle), per campaign, per criteria
 * version and per rejection reason. Reads the campaigns' lead lists (an index query each), never a scan.
 */
export async function qualificationRates(deps: { leads: LeadStore }, campaignIds: string[]): Promise<QualificationRates> {
  const total = row();
  const byCampaign = new Map<string, RateRow>();
  const byVersion = new Map<string, RateRow>();
  const reasons = new Map<RejectionReason, number>();
  for (const campaignId of new Set(campaignIds)) {
    const r = row();
    byCampaign.set(campaignId, r);
    let cursor: string | undefined;
    do {
      const page: Page<Lead> = await deps.leads.listByCampaign(campaignId, cursor);
      for (const lead of page.items) {
        add(total, lead);
        add(r, lead);
        const vk = `${lead.criteriaId ?? lead.profileId}\u0000${lead.criteriaVersion ?? lead.profileVersion}`;
        if (!byVersion.has(vk)) byVersion.set(vk, row());
        add(byVersion.get(vk)!, lead);
        if (lead.stage === 'rejected' && lead.rejectionReason)
          reasons.set(lead.rejectionReason, (reasons.get(lead.rejectionReason) ?? 0) + 1);
      }
      cursor = page.cursor;
    } while (cursor);
  }
  const rejections = [...reasons.values()].reduce((a, b) => a + b, 0);
  return {
    campaignIds: [...byCampaign.keys()],
    total,
    byCampaign: [...byCampaign].map(([campaignId, r]) => ({ campaignId, ...r })),
    byCriteriaVersion: [...byVersion].map(([k, r]) => {
      const [criteriaId, version] = k.split('\u0000');
      return { criteriaId: criteriaId!, version: Number(version), ...r };
    }),
    byRejectionReason: [...reasons].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count, share: count / rejections })),
  };
}
