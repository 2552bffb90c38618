import { z } from 'zod';

export const campaignStatuses = ['draft', 'sending', 'sent', 'paused', 'cancelled'] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

/** CR or LF in a header value would let a caller inject headers: refuse them at the edge. */
const headerSafe = z.string().refine((s) => !/[\r\n]/.test(s), 'must not contain CR or LF');

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
    /** Explicit audience; when absent, every mailable contact. Segments deepen in the API issue. */
    contactIds: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type CampaignInput = z.infer<typeof campaignInputSchema>;

export interface Campaign extends CampaignInput {
  campaignId: string;
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
  /** When the last fan-out page was queued: status `sent` means the whole audience is queued. */
  fanoutCompletedAt?: string;
  audienceSize?: number;
  excluded?: Partial<Record<string, number>>;
}
