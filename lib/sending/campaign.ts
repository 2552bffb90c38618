import { z } from 'zod';
import { audienceSchema, type Audience, type ExclusionCounts } from './audience';
import { hasControlCharacter } from '../common/control-characters';
import { allowedPlaceholders, alwaysPresentPlaceholders } from './render';

export const campaignStatuses = ['draft', 'sending', 'sent', 'paused', 'cancelled'] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

/** A control character in a header value (CR and LF inject headers; ESC, NUL, U+2028… confuse clients): refused at the edge. */
const headerSafe = z.string().refine((s) => !hasControlCharacter(s), 'must not contain control characters (C0, C1, U+2028, U+2029)');

export const campaignInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    subject: headerSafe.pipe(z.string().min(1).max(998)),
    fromAddress: headerSafe.pipe(z.string().min(3).max(320)),
    htmlTemplate: z.string().min(1).max(500_000),
    textTemplate: z.string().min(1).max(500_000),
    /** The ideal customer profile that qualifies this campaign's clickers (published as criteria of the same id). This or `criteriaId` is required. */
    profileId: z.string().min(1).optional(),
    /** The qualification criteria set (docs/qualification.md); its latest published version applies. Wins over `profileId`. */
    criteriaId: z.string().min(1).optional(),
    /** Shorthand for `audience: { kind: 'list', contactIds }`; not with `audience`. */
    contactIds: z.array(z.string().min(1)).optional(),
    /** Who receives it (lib/sending/audience.ts). @default { kind: 'all' } */
    audience: audienceSchema.optional(),
    /** Text used where a contact lacks a placeholder's value, e.g. `{ "firstName": "there" }`. */
    fallbacks: z
      .partialRecord(
        z.enum(allowedPlaceholders.filter((p) => !(alwaysPresentPlaceholders as readonly string[]).includes(p)) as [string, ...string[]]),
        headerSafe.pipe(z.string().max(200)),
      )
      .optional(),
  })
  .strict();
export type CampaignInput = z.infer<typeof campaignInputSchema>;

/**
 * Allowed status moves. `sending` covers fan-out and sending; `sent` means every recipient has an
 * outcome (sent, failed or excluded). `paused` stops further sends promptly and resumes without
 * duplicates; `cancelled` is final.
 */
export const campaignTransitions: Record<CampaignStatus, readonly CampaignStatus[]> = {
  draft: ['sending', 'cancelled'],
  sending: ['sent', 'paused', 'cancelled'],
  paused: ['sending', 'cancelled'],
  sent: [],
  cancelled: [],
};

/** Progress of a send, kept on the campaign once known (totals arrive when the fan-out completes). */
export interface SendSummary {
  /** Audience members after exclusions: the recipients SES is asked to mail. */
  recipients: number;
  /** Audience members not mailed, by reason, found at fan-out. */
  excluded: ExclusionCounts;
  /** Send jobs the fan-out created. */
  jobs: number;
  /** Final counts, once every job has an outcome. */
  sent?: number;
  failed?: number;
  /** Recipients found suppressed or without consent between the fan-out and their send. */
  excludedAtSend?: ExclusionCounts;
}

export interface Campaign extends Omit<CampaignInput, 'audience'> {
  campaignId: string;
  /** Normalised at creation; absent on campaigns stored before audiences existed (= all). */
  audience?: Audience;
  status: CampaignStatus;
  /** The profile version when the campaign was created (campaigns made with a profile). */
  profileVersion?: number;
  createdAt: string;
  sendRequestedAt?: string;
  /** The Idempotency-Key of the send request that started sending (or one the request made up): a retry with it is answered again. */
  sendRequestKey?: string;
  /** When the first fan-out job was queued (a retried send request re-queues it if this is missing). */
  fanoutQueuedAt?: string;
  /** Link catalogue (id → URL) extracted from the HTML template, so events carry short ids. */
  links: Record<string, string>;
  /** When the last fan-out page was queued. */
  fanoutCompletedAt?: string;
  /**
   * Incremented by each start and resume: jobs of an older generation stop, so a resume never runs
   * beside the chain it replaces. @default 1 once sending started
   */
  generation?: number;
  /** Why sending was paused, when the pipeline paused it itself (an SES account or configuration problem). */
  pausedReason?: string;
  pausedAt?: string;
  cancelledAt?: string;
  /** When every recipient had an outcome. */
  completedAt?: string;
  /** Totals when the fan-out completed, and the final outcome counts once sent. */
  summary?: SendSummary;
}
