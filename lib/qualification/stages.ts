import { z } from 'zod';
import { ConflictError } from '../shared/errors';
import { rejectionReasons, type Lead, type LeadStage, type RejectionReason, type StageChange } from './lead';

/** `POST /leads/{contactId}/feedback`: what sales says about a lead. `leadId` guards against acting on a newer lifecycle. */
export const feedbackRequestSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('accept'),
      leadId: z.string().optional(),
      note: z.string().max(2000).optional(),
      by: z.string().max(200).optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('reject'),
      reason: z.enum(rejectionReasons),
      leadId: z.string().optional(),
      note: z.string().max(2000).optional(),
      by: z.string().max(200).optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('stage'),
      stage: z.enum(['meeting', 'proposal', 'won', 'lost']),
      leadId: z.string().optional(),
      note: z.string().max(2000).optional(),
      by: z.string().max(200).optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('reopen'),
      stage: z.enum(['mql', 'sql', 'meeting', 'proposal']),
      reason: z.string().min(1).max(2000),
      leadId: z.string().optional(),
      by: z.string().max(200).optional(),
    })
    .strict(),
]);
export type FeedbackRequest = z.infer<typeof feedbackRequestSchema>;

/** Position in the funnel; won and lost are both the closed end. */
const rank: Record<LeadStage, number> = { mql: 0, sql: 1, meeting: 2, proposal: 3, won: 4, lost: 4, rejected: -1 };
const closed = (s: LeadStage) => s === 'won' || s === 'lost' || s === 'rejected';

export type Transition =
  | { kind: 'unchanged' }
  | { kind: 'move'; stage: LeadStage; entry: StageChange; rejectionReason?: RejectionReason | null; closedAt?: string | null };

/**
 * The stage rules: accept moves an MQL to SQL; reject (with a reason) closes an MQL; later stages
 * only move forward; a closed lead (rejected, won, lost) or a move backwards needs an explicit
 * reopen. Repeating what is already true changes nothing, so a retried request is harmless.
 */
export function transition(lead: Lead, request: FeedbackRequest, at: string): Transition {
  const cur = lead.stage;
  const base = { at, ...(request.by ? { by: request.by } : {}) };
  switch (request.action) {
    case 'accept':
      if (cur === 'mql')
        return { kind: 'move', stage: 'sql', entry: { stage: 'sql', ...base, ...(request.note ? { note: request.note } : {}) } };
      if (cur === 'rejected') throw new ConflictError('the lead was rejected; reopen it to accept it');
      return { kind: 'unchanged' }; // already accepted
    case 'reject':
      if (cur === 'mql') {
        return {
          kind: 'move',
          stage: 'rejected',
          entry: { stage: 'rejected', ...base, reason: request.reason, ...(request.note ? { note: request.note } : {}) },
          rejectionReason: request.reason,
          closedAt: at,
        };
      }
      if (cur === 'rejected' && lead.rejectionReason === request.reason) return { kind: 'unchanged' };
      if (cur === 'rejected') throw new ConflictError(`the lead was already rejected (${lead.rejectionReason})`);
      throw new ConflictError(`the lead is at ${cur}: sales accepted it; mark it lost instead of rejecting it`);
    case 'stage': {
      const to = request.stage;
      if (cur === to) return { kind: 'unchanged' };
      if (cur === 'rejected') throw new ConflictError('the lead was rejected; reopen it first');
      if (closed(cur)) throw new ConflictError(`the lead is closed (${cur}); reopen it first`);
      if (to === 'lost' && cur === 'mql') throw new ConflictError('an MQL sales does not want is rejected, with a reason, not lost');
      if (rank[to] < rank[cur]) throw new ConflictError(`stages only move forward (${cur} → ${to}); reopen to move back`);
      return {
        kind: 'move',
        stage: to,
        entry: { stage: to, ...base, ...(request.note ? { note: request.note } : {}) },
        ...(to === 'lost' ? { closedAt: at } : {}),
      };
    }
    case 'reopen': {
      const to = request.stage;
      if (cur === to) return { kind: 'unchanged' };
      if (!closed(cur) && rank[to] > rank[cur])
        throw new ConflictError(`reopen moves back; ${cur} → ${to} is forward: use accept or stage`);
      return {
        kind: 'move',
        stage: to,
        entry: { stage: to, ...base, reason: `reopened: ${request.reason}` },
        rejectionReason: null,
        closedAt: null,
      };
    }
  }
}
