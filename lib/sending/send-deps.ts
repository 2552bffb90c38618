import type { Campaign } from './campaign';
import type { CampaignMailSender, CampaignStore, SendJob, SendLedger, SendProgressStore, SendQueue, SendRateLimiter } from './ports';
import type { Clock } from '../common/ports';
import type { ContactStore } from '../contacts/ports';
import type { EngagementStore } from '../engagement/ports';

/** What the sender (fan-out and send jobs) needs, with its tuning. */
export interface SendDeps {
  campaigns: CampaignStore;
  contacts: ContactStore;
  ledger: SendLedger;
  progress: SendProgressStore;
  queue: SendQueue;
  mail: CampaignMailSender;
  limiter: SendRateLimiter;
  /** Messages per second: the configured override, else SES GetAccount's MaxSendRate. */
  sendRate: () => Promise<number>;
  /** Read on a claim takeover: a recorded SES Send event proves SES accepted the message. */
  engagement: Pick<EngagementStore, 'getRecipients'>;
  clock: Clock;
  unsubscribe: { baseUrl: string; mailto: string; secret: string };
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** @default 100 — recipients per send job */
  recipientsPerJob?: number;
  /** @default 500 — contacts read per fan-out page */
  fanoutPageSize?: number;
  /** A job claim older than this belongs to a sender that died. @default 900000 (> the sender's timeout) */
  claimLeaseMs?: number;
  /**
   * A fan-out page claimed this long ago but not queued belongs to a fan-out that died; must be
   * shorter than the send queue's visibility timeout so the redelivered message can take it over.
   * @default 60000
   */
  fanoutLeaseMs?: number;
  /** How stale the campaign status may be while sending: pause and cancel act within this. @default 1000 */
  statusCheckMs?: number;
  /** SES calls in flight per job, so the next call is booked while one is on the wire. @default 2 */
  callsInFlight?: number;
  /** Tries of one batch within an invocation on throttling and other retryable errors. @default 4 */
  triesPerInvocation?: number;
  /** Continuations of a job that keeps failing retryably before the campaign pauses. @default 8 */
  maxJobAttempts?: number;
}

/** One kind of queue message: `SendJobOf<'fanout'>` (an audience page to split into jobs) or `SendJobOf<'send'>` (recipients to mail). */
export type SendJobOf<K extends SendJob['kind']> = Extract<SendJob, { kind: K }>;

export type SendJobStatus = 'done' | 'stopped' | 'continued' | 'paused';
export interface SendJobResult {
  status: SendJobStatus;
  sent: number;
  failed: number;
  excluded: number;
}

/** The result of a run that sent nothing: `stopped` (the campaign no longer sends this generation), or its status overridden. */
export const nothingDone: SendJobResult = { status: 'stopped', sent: 0, failed: 0, excluded: 0 };

/** The campaign is still sending, and still the generation (start or resume) that queued the job. */
export const isLive = (c: Campaign | undefined, generation: number): c is Campaign =>
  !!c && c.status === 'sending' && (c.generation ?? 1) === generation;
