import type { MailSender } from '../sending/ports';
import type { Clock } from '../common/ports';
import { sleepBackoff } from '../common/backoff';
import { escapeHtml } from '../common/html';
import type { Lead } from './lead';
import type { DueFollowUp, FollowUpKind, LeadStore } from './ports';

export interface FollowUpDeps {
  leads: LeadStore;
  mail: MailSender;
  clock: Clock;
  from: string;
  /** A claim older than this belongs to a sender that died; it may be taken over. @default 300000 */
  claimLeaseMs?: number;
  /** Told of each follow-up that failed (the run goes on; the next run tries it again). */
  onFailure?: (due: DueFollowUp, error: unknown) => void;
}

export type FollowUpOutcome = 'sent' | 'sent-unrecorded' | 'already-sent' | 'not-due' | 'answered' | 'failed';

/**
 * Speed-to-lead, run on a schedule: every follow-up due by now (an index query per day bucket, no
 * scan) is sent once. A lead sales has answered (accepted, rejected, recycled) or that re-qualified
 * since is dropped from the index without mail. Each reminder and escalation is claimed on the lead
 * (with a token, like the MQL notification) before SES is called and marked after, so a replayed
 * clock, a duplicated run or a retry never sends it twice. A follow-up that fails is counted as
 * `failed` (and given to `onFailure`) and the run goes on; its claim was released, so the next run
 * tries it again.
 */
export async function sendDueFollowUps(deps: FollowUpDeps): Promise<Record<FollowUpOutcome, number>> {
  const counts: Record<FollowUpOutcome, number> = {
    sent: 0,
    'sent-unrecorded': 0,
    'already-sent': 0,
    'not-due': 0,
    answered: 0,
    failed: 0,
  };
  const now = deps.clock.now();
  let cursor: string | undefined;
  do {
    const page = await deps.leads.listDueFollowUps(now.toISOString(), cursor);
    // One follow-up failing (SES refusing its owner's address, throttling) must not hold back the
    // others behind it on every scheduled run: it is counted, reported, and tried again next run.
    for (const due of page.items) {
      counts[
        await sendFollowUp(deps, due).catch((error: unknown) => {
          deps.onFailure?.(due, error);
          return 'failed' as const;
        })
      ]++;
    }
    cursor = page.cursor;
  } while (cursor);
  return counts;
}

const done = (lead: Lead, kind: FollowUpKind) => (kind === 'reminder' ? lead.followUp?.remindedAt : lead.followUp?.escalatedAt);

export async function sendFollowUp(deps: FollowUpDeps, due: DueFollowUp): Promise<FollowUpOutcome> {
  const lead = await deps.leads.get(due.contactId);
  if (!lead || lead.leadId !== due.leadId || lead.stage !== 'mql' || !lead.followUp) {
    await deps.leads.dropFollowUp(due);
    return 'answered';
  }
  if (done(lead, due.kind)) {
    await deps.leads.dropFollowUp(due);
    return 'already-sent';
  }
  const at = due.kind === 'reminder' ? lead.followUp.remindAt : lead.followUp.dueAt;
  if (at > deps.clock.now().toISOString()) return 'not-due';
  if (!(await deps.leads.claimFollowUp(due, deps.clock.now(), deps.claimLeaseMs ?? 300_000))) return 'already-sent';
  const to = due.kind === 'reminder' ? lead.owner : lead.followUp.escalateTo;
  let messageId: string;
  try {
    ({ messageId } = await deps.mail.send({
      from: deps.from,
      to,
      ...followUpEmail(lead, due.kind),
      headers: {},
      tags: { contactId: lead.contactId, kind: `mql-${due.kind}` },
    }));
  } catch (error) {
    await deps.leads.releaseFollowUp(due); // SES did not take it: the next run sends it
    throw error;
  }
  // SES took it: from here nothing may lead to a second email (see notifySales).
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.leads.markFollowUpSent(due, messageId, deps.clock.now().toISOString(), due.kind === 'escalation' ? to : undefined);
      await deps.leads.dropFollowUp(due);
      return 'sent';
    } catch {
      if (attempt >= 4) return 'sent-unrecorded';
      await sleepBackoff(attempt, { baseMs: 50, factor: 4, jitter: 'none' });
    }
  }
}

function followUpEmail(lead: Lead, kind: FollowUpKind) {
  const waited = `MQL ${lead.leadId} (contact ${lead.contactId}) has waited since ${lead.qualifiedAt}`;
  const subject =
    kind === 'reminder' ? `Reminder: MQL waiting for follow-up (due ${lead.followUp!.dueAt})` : `Escalated: MQL not accepted in time`;
  const text = [
    kind === 'reminder'
      ? `${waited}. Accept it by ${lead.followUp!.dueAt} or it is escalated.`
      : `${waited}; ${lead.owner} did not accept it by ${lead.followUp!.dueAt}. It is yours now.`,
    `  accept:  mql lead accept ${lead.contactId}`,
    `  reject:  mql lead reject ${lead.contactId} --reason <reason>`,
  ].join('\n');
  return { subject, text, html: `<pre>${escapeHtml(text)}</pre>` };
}
