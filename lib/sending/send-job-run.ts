import type { ExclusionCounts } from './audience';
import type { Contact } from '../contacts/contact';
import { OutcomesNotRecordedError } from '../common/errors';
import { orUndefined } from './hand-back';
import type { OutgoingMessage, RecipientOutcome, SendJob } from './ports';
import type { SendDeps, SendJobOf } from './send-deps';

/** A recipient of a send job, with the message composed for them. */
export interface Recipient {
  contact: Contact;
  message: OutgoingMessage;
}

/** What a run of a send job holds that a continuation must be handed if the run cannot finish. */
export interface JobRun {
  /** Tokens the job's claim is, or may be (DynamoDB's answer lost), held under by this run. */
  claims: string[];
  /** Outcomes SES gave that the ledger does not hold yet. */
  unrecorded: RecipientOutcome[];
  /** The claim was taken over and the Send-event check has not been settled yet. */
  takeover: boolean;
  /** SES may have accepted a call whose answer was lost: the claim stays, and the next run takes it over after the lease. */
  sesUnknown: boolean;
  /** Something was written for good (outcomes, the job's outcome): the next hand-back's delay starts again. */
  progressed: boolean;
}

/** Counts of a run: outcomes recorded (or found recorded), and recipients excluded at send time. */
export interface Tally {
  sent: number;
  failed: number;
  excluded: ExclusionCounts;
}

/**
 * Records outcomes SES gave. Those DynamoDB did not take stay on the run, for the continuation to
 * write first: SES has answered for them, and nobody in them may be mailed again.
 */
export async function recordOutcomes(deps: SendDeps, campaignId: string, run: JobRun, outcomes: RecipientOutcome[]): Promise<void> {
  if (!outcomes.length) return;
  try {
    await deps.ledger.recordOutcomes(campaignId, outcomes);
    run.progressed = true;
  } catch (error) {
    const unwritten = error instanceof OutcomesNotRecordedError ? error.outcomes : outcomes;
    if (unwritten.length < outcomes.length) run.progressed = true;
    run.unrecorded.push(...unwritten);
    throw error;
  }
}

/** The same job again (same id, same recipients: the ledger skips whoever has an outcome), with what the run hands on. */
export function continuation(job: SendJobOf<'send'>, run: JobRun, next: { attempt?: number; stalls?: number }): SendJob {
  const { kind, campaignId, generation, jobId, contactIds } = job;
  return {
    kind,
    campaignId,
    generation,
    jobId,
    contactIds,
    attempt: next.attempt || undefined,
    claims: run.sesUnknown ? undefined : orUndefined(run.claims),
    unrecorded: orUndefined(run.unrecorded),
    takeover: run.takeover || undefined,
    stalls: next.stalls || undefined,
  };
}
