/**
 * What the criteria review needs beyond the stores it reads (criteria, campaigns, leads, contacts,
 * activities, engagement) and the report store it writes to: the record of review emails sent, so
 * each inbox gets one email per criteria set and period whatever the retries.
 */
export interface ReviewMailLog {
  /** Claims the right to send one review email (`key`); a claim older than `leaseMs` may be taken over; false once sent. */
  claim(key: string, at: Date, leaseMs: number): Promise<boolean>;
  markSent(key: string, messageId: string, at: string): Promise<void>;
  release(key: string): Promise<void>;
}
