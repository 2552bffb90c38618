import { z } from 'zod';
import { ValidationError } from '../common/errors';
import { newId } from '../common/ids';
import type { MachineRules } from '../engagement/machine-activity';
import { approveCriteria } from '../qualification/approvals';
import { editDraft } from '../qualification/manage-criteria';
import { periodRequestSchema } from '../reports/period';
import type { ReportStore } from '../reports/ports';
import type { MailSender } from '../sending/ports';
import type { ReviewMailLog } from './ports';
import { reviewCriteria, type ReviewDeps } from './review';
import { applyEdit } from './suggest';
import { runQuarterlyReviews, writeCriteriaReview } from './write-review';

/** `POST /criteria/{criteriaId}/suggestions/{n}/draft`: the period the suggestions were read from. */
export const draftSuggestionRequestSchema = periodRequestSchema;

/** `--draft N`: suggestion N of the period's review applied to the set's current draft (never published here). */
export async function draftSuggestion(deps: ReviewDeps, criteriaId: string, period: unknown, n: number) {
  const review = await reviewCriteria(deps, criteriaId, period);
  const suggestion = review.suggestions.find((s) => s.n === n);
  if (!suggestion) {
    throw new ValidationError(
      review.suggestions.length
        ? `there is no suggestion ${n}: the review of ${review.period.from} to ${review.period.to} has ${review.suggestions.length}`
        : `there is no suggestion ${n}: the review of ${review.period.from} to ${review.period.to} suggests nothing`,
      [{ path: ['n'], message: 'no such suggestion' }],
    );
  }
  const draft = (await deps.criteria.getDraft(criteriaId))!;
  const edited = await editDraft(deps, criteriaId, applyEdit(draft.document, suggestion.edit), { revision: draft.revision });
  return { suggestion, draft: edited };
}

export const positiveInt = z.coerce.number().int().positive();

type ReviewAdapters = Omit<ReviewDeps, 'rules'> & { reports: ReportStore; salesMail: MailSender; reviewMail?: ReviewMailLog };
type ReviewConfig = { machineRules: MachineRules; notificationFrom: string; salesInbox: string; marketingInbox?: string };

/** The review's use cases, bound (lib/app.ts spreads them into the application). */
export function reviewUseCases(a: ReviewAdapters, config: ReviewConfig) {
  const deps = { ...a, rules: config.machineRules, uniqueSuffix: () => newId('r').slice(-6) };
  return {
    /** Marketing's or sales's approval of a draft revision (both are needed when the set requires approval). */
    approveCriteria: (criteriaId: string, input: unknown) => approveCriteria(a, criteriaId, input),
    /** Writes the review of a criteria set over a period (JSON, HTML, CSV) and answers it with its links. */
    writeCriteriaReview: (criteriaId: string, period: unknown) => writeCriteriaReview(deps, criteriaId, period),
    /** The period's suggested edits with their evidence and backtests; writes nothing. */
    suggestCriteriaChanges: async (criteriaId: string, period: unknown) => {
      const r = await reviewCriteria(deps, criteriaId, period);
      return {
        criteriaId,
        period: r.period,
        minSample: r.minSample,
        latestVersion: r.versions.at(-1)?.version ?? null,
        suggestions: r.suggestions,
      };
    },
    draftSuggestion: (criteriaId: string, period: unknown, n: number) => draftSuggestion(deps, criteriaId, period, n),
    /** The first day of each quarter: every published set's review of the quarter before, mailed once to marketing and sales. */
    runQuarterlyReviews: () => {
      if (!a.reviewMail) throw new Error('the quarterly review needs the review mail log (adapters.reviewMail)');
      const inboxes = [config.marketingInbox, config.salesInbox].filter((x): x is string => Boolean(x));
      return runQuarterlyReviews({ ...deps, mail: a.salesMail, mailLog: a.reviewMail, from: config.notificationFrom, inboxes });
    },
  };
}
