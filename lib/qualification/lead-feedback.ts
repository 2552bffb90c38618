import { ConcurrentUpdateError, ConflictError, NotFoundError, ValidationError } from '../common/errors';
import type { Lead } from './lead';
import type { ActivityStore, LeadStore } from './ports';
import type { Clock } from '../common/ports';
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
      { stage: t.stage, entries: t.entries, rejectionReason: t.rejectionReason, closedAt: t.closedAt },
    );
    if (moved) {
      const next: Lead = { ...lead, stage: t.stage, stageHistory: [...(lead.stageHistory ?? []), ...t.entries] };
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
