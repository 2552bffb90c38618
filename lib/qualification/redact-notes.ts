import { ConcurrentUpdateError } from '../common/errors';
import { redactMentions } from '../common/mentions';
import type { Page } from '../common/ports';
import type { Lead } from './lead';
import type { LeadStore } from './ports';

/** Attempts per lead whose history changes while its notes are redacted. */
const ATTEMPTS = 4;

/** The lead's stage history with every mention redacted from its notes; undefined when none named the person. */
function redactedHistory(lead: Lead, pattern: RegExp): Lead['stageHistory'] | undefined {
  let changed = false;
  const history = (lead.stageHistory ?? []).map((entry) => {
    const note = entry.note === undefined ? undefined : redactMentions(entry.note, pattern);
    if (note === undefined) return entry;
    changed = true;
    return { ...entry, note };
  });
  return changed ? history : undefined;
}

/**
 * Right to erasure in sales's notes: every note on another contact's lead (current or earlier
 * lifecycle) that names the person — their email or full name — keeps its text with each mention
 * replaced by `[erased]` (the note stays useful, the person is gone). Leads are found through each
 * campaign's lead listing, so the walk costs a query per campaign page, on a rare request.
 * The erased contact's own lead loses its notes entirely when it is anonymised.
 */
export async function redactNotesMentioning(
  deps: { leads: LeadStore; campaignIds: () => AsyncIterable<string> },
  pattern: RegExp,
): Promise<number> {
  let redacted = 0;
  for await (const campaignId of deps.campaignIds()) {
    let cursor: string | undefined;
    do {
      const page: Page<Lead> = await deps.leads.listByCampaign(campaignId, cursor);
      for (const lead of page.items) if (await redactLead(deps.leads, lead, pattern)) redacted++;
      cursor = page.cursor;
    } while (cursor);
  }
  return redacted;
}

async function redactLead(leads: LeadStore, lead: Lead, pattern: RegExp): Promise<boolean> {
  let current: Lead | undefined = lead;
  for (let attempt = 0; attempt < ATTEMPTS && current; attempt++) {
    const history = redactedHistory(current, pattern);
    if (!history) return false;
    if (await leads.rewriteNotes(current, history)) return true;
    // A stage change landed meanwhile: read the lead again (current or archived) and redo it.
    const fresh: Lead | undefined = await leads.get(current.contactId);
    current =
      fresh?.leadId === current.leadId ? fresh : (await leads.earlierLifecycles(current.contactId)).find((l) => l.leadId === lead.leadId);
  }
  if (!current) return false;
  throw new ConcurrentUpdateError(`the notes of lead ${lead.leadId} kept changing while an erasure redacted them; retry the erasure`);
}
