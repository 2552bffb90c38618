import { z } from 'zod';
import { ConflictError } from '../common/errors';
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
      action: z.literal('qualify'),
      leadId: z.string().optional(),
      note: z.string().max(2000).optional(),
      by: z.string().max(200).optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('recycle'),
      reason: z.string().min(1).max(2000),
      leadId: z.string().optional(),
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
      stage: z.enum(['mql', 'sal', 'sql', 'meeting', 'proposal']),
      reason: z.string().min(1).max(2000),
      leadId: z.string().optional(),
      by: z.string().max(200).optional(),
    })
    .strict(),
]);
export type FeedbackRequest = z.infer<typeof feedbackRequestSchema>;

/** Position in the funnel; won and lost are both the closed end. */
const rank: Record<LeadStage, number> = {
  mql: 0,
  sal: 1,
  sql: 2,
  meeting: 3,
  proposal: 4,
  won: 5,
  lost: 5,
  rejected: -1,
  recycled: -1,
};
const closed = (s: LeadStage) => s === 'won' || s === 'lost' || s === 'rejected' || s === 'recycled';

export type Transition =
  | { kind: 'unchanged' }
  | {
      kind: 'move';
      stage: LeadStage;
      /** Appended to the history in order (qualifying an MQL records its implied acceptance first). */
      entries: StageChange[];
      rejectionReason?: RejectionReason | null;
      closedAt?: string | null;
    };

type Base = { at: string; by?: string; note?: string };
const move = (stage: LeadStage, base: Base, extra: Partial<Transition & { kind: 'move' }> = {}, reason?: string): Transition => ({
  kind: 'move',
  stage,
  entries: [{ stage, ...base, ...(reason ? { reason } : {}) }],
  ...extra,
});

/**
 * The stage rules: accept makes an MQL a SAL; qualify makes an MQL or SAL an SQL (an MQL is then
 * accepted at the same moment); reject (with a reason) closes an MQL or SAL; recycle sends a lead
 * that is not won back to nurture; later stages only move forward from SQL; a closed lead or a move
 * backwards needs an explicit reopen. Repeating what is already true changes nothing.
 */
export function transition(lead: Lead, request: FeedbackRequest, at: string): Transition {
  const cur = lead.stage;
  const base: Base = {
    at,
    ...(request.by ? { by: request.by } : {}),
    ...('note' in request && request.note ? { note: request.note } : {}),
  };
  switch (request.action) {
    case 'accept':
      if (cur === 'mql') return move('sal', base);
      if (cur === 'rejected' || cur === 'recycled') throw new ConflictError(`the lead was ${cur}; reopen it to accept it`);
      return { kind: 'unchanged' }; // already accepted
    case 'qualify':
      if (cur === 'mql')
        return {
          kind: 'move',
          stage: 'sql',
          entries: [
            { stage: 'sal', ...base },
            { stage: 'sql', ...base },
          ],
        };
      if (cur === 'sal') return move('sql', base);
      if (cur === 'rejected' || cur === 'recycled') throw new ConflictError(`the lead was ${cur}; reopen it to qualify it`);
      return { kind: 'unchanged' }; // already an SQL or further
    case 'reject':
      return reject(lead, request.reason, base);
    case 'recycle':
      if (cur === 'recycled') return { kind: 'unchanged' };
      if (cur === 'won') throw new ConflictError('the lead was won (a customer); it is not recycled');
      return move('recycled', base, { closedAt: at }, request.reason);
    case 'stage':
      return laterStage(cur, request.stage, base);
    case 'reopen': {
      const to = request.stage;
      if (cur === to) return { kind: 'unchanged' };
      if (!closed(cur) && rank[to] > rank[cur])
        throw new ConflictError(`reopen moves back; ${cur} → ${to} is forward: use accept, qualify or stage`);
      return move(
        to,
        { at, ...(request.by ? { by: request.by } : {}) },
        { rejectionReason: null, closedAt: null },
        `reopened: ${request.reason}`,
      );
    }
  }
}

function reject(lead: Lead, reason: RejectionReason, base: Base): Transition {
  const cur = lead.stage;
  if (cur === 'mql' || cur === 'sal') return move('rejected', base, { rejectionReason: reason, closedAt: base.at }, reason);
  if (cur === 'rejected' && lead.rejectionReason === reason) return { kind: 'unchanged' };
  if (cur === 'rejected') throw new ConflictError(`the lead was already rejected (${lead.rejectionReason})`);
  if (cur === 'recycled') throw new ConflictError('the lead was recycled to nurture; reopen it first');
  throw new ConflictError(`the lead is at ${cur}: sales qualified it; mark it lost instead of rejecting it`);
}

function laterStage(cur: LeadStage, to: 'meeting' | 'proposal' | 'won' | 'lost', base: Base): Transition {
  if (cur === to) return { kind: 'unchanged' };
  if (cur === 'rejected' || cur === 'recycled') throw new ConflictError(`the lead was ${cur}; reopen it first`);
  if (closed(cur)) throw new ConflictError(`the lead is closed (${cur}); reopen it first`);
  if (to === 'lost' && (cur === 'mql' || cur === 'sal'))
    throw new ConflictError(`an ${cur.toUpperCase()} sales does not want is rejected, with a reason, not lost`);
  if (cur === 'mql' || cur === 'sal') throw new ConflictError(`the lead is at ${cur}: qualify it (SQL) before ${to}`);
  if (rank[to] < rank[cur]) throw new ConflictError(`stages only move forward (${cur} → ${to}); reopen to move back`);
  return move(to, base, to === 'lost' ? { closedAt: base.at } : {});
}
