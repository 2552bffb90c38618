import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../common/errors';
import type { Clock } from '../common/ports';
import { approvalSides, type Approval, type ApprovalSide, type CriteriaDraft, type CriteriaVersion } from './criteria';
import type { CriteriaStore } from './ports';

/**
 * Both sides sign the definition: a marketing and a sales reviewer approve a draft revision before
 * it publishes, when the set requires it (docs/qualification.md, "Approval").
 */

/** `POST /criteria/{criteriaId}/approvals`. */
export const approveRequestSchema = z
  .object({
    side: z.enum(approvalSides),
    /** Who approves (a name or address, kept on the version). */
    by: z.string().trim().min(1).max(200),
    /** The draft revision read and approved: an approval never covers an edit made after it. */
    revision: z.number().int().positive(),
  })
  .strict();

/** Approval is required when the draft asks for it, or when the latest version did (switching it off needs both sides too). */
export const approvalRequired = (draft: CriteriaDraft, latest: CriteriaVersion | undefined) =>
  draft.document.approval?.required === true || latest?.document.approval?.required === true;

/** The approvals that count for publishing the draft: those of its current revision. */
export function currentApprovals(draft: CriteriaDraft): Approval[] {
  return approvalSides.flatMap((side) => {
    const a = draft.approvals?.[side];
    return a && a.revision === draft.revision ? [a] : [];
  });
}

/** Refuses to publish (409) when approval is required and a side has not approved the current revision. */
export function assertApproved(draft: CriteriaDraft, latest: CriteriaVersion | undefined): void {
  if (!approvalRequired(draft, latest)) return;
  const have = new Set(currentApprovals(draft).map((a) => a.side));
  const missing = approvalSides.filter((s) => !have.has(s));
  if (missing.length) {
    throw new ConflictError(
      `criteria ${draft.criteriaId} requires approval by a marketing and a sales reviewer before it publishes; revision ${draft.revision} lacks ${missing.join(' and ')} approval (mql criteria approve ${draft.criteriaId} --side ${missing[0]} --revision ${draft.revision})`,
    );
  }
}

export async function approveCriteria(
  deps: { criteria: CriteriaStore; clock: Clock },
  criteriaId: string,
  input: unknown,
): Promise<{ criteriaId: string; revision: number; approvals: Approval[]; missing: ApprovalSide[] }> {
  const parsed = approveRequestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('invalid approval', parsed.error.issues);
  const request = parsed.data;
  const draft = await deps.criteria.getDraft(criteriaId);
  if (!draft) throw new NotFoundError(`criteria ${criteriaId} does not exist`);
  if (draft.revision !== request.revision)
    throw new ConflictError(`the draft is at revision ${draft.revision}, not ${request.revision}: read it again before approving`);
  const other = currentApprovals(draft).find((a) => a.side !== request.side);
  if (other && other.by.toLowerCase() === request.by.toLowerCase())
    throw new ValidationError(`${request.by} approved for ${other.side} already: the two sides need two reviewers`, [
      { path: ['by'], message: 'the same reviewer cannot sign for both sides' },
    ]);
  const approval: Approval = { side: request.side, by: request.by, at: deps.clock.now().toISOString(), revision: request.revision };
  // Approving the same revision again as the same person is a retry: the first approval stands.
  const same = draft.approvals?.[request.side];
  const kept = same && same.revision === approval.revision && same.by === approval.by ? same : approval;
  if (kept === approval && !(await deps.criteria.recordApproval(criteriaId, approval)))
    throw new ConflictError(`the draft of ${criteriaId} was edited while approving: read it again before approving`);
  const approvals = currentApprovals({ ...draft, approvals: { ...draft.approvals, [request.side]: kept } });
  const have = new Set(approvals.map((a) => a.side));
  return { criteriaId, revision: draft.revision, approvals, missing: approvalSides.filter((s) => !have.has(s)) };
}
