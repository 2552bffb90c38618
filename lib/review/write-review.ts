import { withoutControlCharacters } from '../common/control-characters';
import { escapeHtml as e } from '../common/html';
import type { ReportStore } from '../reports/ports';
import type { ReportPeriod } from '../reports/period';
import type { MailSender } from '../sending/ports';
import type { CriteriaReview } from './model';
import type { ReviewMailLog } from './ports';
import { renderReviewHtml, reviewCsv } from './render-review';
import { reviewCriteria, type ReviewDeps } from './review';

export interface WriteReviewDeps extends ReviewDeps {
  reports: ReportStore;
  uniqueSuffix: () => string;
}

export interface ReviewKeys {
  json: string;
  html: string;
  csv: string;
  /** Overwritten each time: the newest review of this criteria set. */
  latest: string;
}

export interface WrittenReview {
  criteriaId: string;
  period: ReportPeriod;
  generatedAt: string;
  keys: ReviewKeys;
  urls: Record<keyof ReviewKeys, string>;
  urlsExpireAt: string | null;
  review: CriteriaReview;
}

/** Date-stamped keys under the report prefix (reports/*: the same grants and lifecycle as the other reports). */
export function reviewKeys(criteriaId: string, period: ReportPeriod, generatedAt: string, suffix: string): ReviewKeys {
  const prefix = `reports/reviews/${criteriaId}`;
  const base = `${prefix}/${period.from}_${period.to}/${generatedAt.slice(0, 10)}/${generatedAt.slice(11, 23).replace(/[:.]/g, '')}Z-${suffix}`;
  return { json: `${base}/review.json`, html: `${base}/review.html`, csv: `${base}/review.csv`, latest: `${prefix}/latest.json` };
}

/** Writes the review as JSON, HTML and CSV, then its `latest.json` pointer (last, so it never points at a partial review). */
export async function writeCriteriaReview(deps: WriteReviewDeps, criteriaId: string, period: unknown): Promise<WrittenReview> {
  const review = await reviewCriteria(deps, criteriaId, period);
  const keys = reviewKeys(criteriaId, review.period, review.generatedAt, deps.uniqueSuffix());
  await Promise.all([
    deps.reports.put(keys.json, `${JSON.stringify(review, null, 2)}\n`, 'application/json'),
    deps.reports.put(keys.html, renderReviewHtml(review), 'text/html'),
    deps.reports.putStream(keys.csv, reviewCsv(review), 'text/csv'),
  ]);
  const pointer = { generatedAt: review.generatedAt, criteriaId, period: review.period, ...keys };
  await deps.reports.put(keys.latest, `${JSON.stringify(pointer, null, 2)}\n`, 'application/json');
  const urls = Object.fromEntries(
    await Promise.all(Object.entries(keys).map(async ([k, key]) => [k, await deps.reports.urlFor(key)])),
  ) as WrittenReview['urls'];
  const lifetime = deps.reports.urlLifetimeSeconds;
  const urlsExpireAt = lifetime === undefined ? null : new Date(deps.clock.now().getTime() + lifetime * 1000).toISOString();
  return { criteriaId, period: review.period, generatedAt: review.generatedAt, keys, urls, urlsExpireAt, review };
}

/** The whole calendar quarter before `now`'s (UTC): the scheduled review's period. */
export function previousQuarter(now: Date): ReportPeriod {
  const q = Math.floor(now.getUTCMonth() / 3);
  const start = Date.UTC(now.getUTCFullYear(), (q - 1) * 3, 1);
  const end = Date.UTC(now.getUTCFullYear(), q * 3, 1) - 86_400_000;
  return { from: new Date(start).toISOString().slice(0, 10), to: new Date(end).toISOString().slice(0, 10) };
}

export interface QuarterlyDeps extends WriteReviewDeps {
  mail: MailSender;
  mailLog: ReviewMailLog;
  from: string;
  /** Marketing's and sales's inboxes: each gets one email per criteria set and period. */
  inboxes: string[];
}

/** A claim on a review email older than this may be taken over (a run that died mid-send). */
const MAIL_LEASE_MS = 10 * 60_000;

function reviewEmail(w: WrittenReview, from: string, to: string) {
  const r = w.review;
  const latest = r.versions.at(-1);
  const summary = latest
    ? `Version ${latest.version}: ${latest.mqls} MQLs, ${latest.decided} decided by sales, ${latest.accepted} accepted.`
    : 'No MQLs of this criteria set from campaigns sent in the period.';
  const fresh = `mql criteria review ${r.criteriaId} --from ${r.period.from} --to ${r.period.to}`;
  const expiry = w.urlsExpireAt ? ` (this link works until ${w.urlsExpireAt}; for a fresh one run: ${fresh})` : '';
  const subject = `Quarterly criteria review: ${r.name} (${r.period.from} to ${r.period.to})`;
  const lines = [
    summary,
    `${r.suggestions.length} suggested change(s), each backtested; none is applied until marketing and sales publish it.`,
    `Review: ${w.urls.html}${expiry}`,
    `Stored at: ${w.keys.html}`,
  ];
  return {
    from,
    to,
    subject: withoutControlCharacters(subject),
    text: `${lines.join('\n\n')}\n`,
    html: `<p>${lines.map((l) => e(l)).join('</p><p>')}</p>`,
    headers: {},
    tags: { kind: 'criteria-review' },
  };
}

/** Sends the review's link to each inbox once per criteria set and period, whatever the retries. */
export async function mailReview(deps: QuarterlyDeps, written: WrittenReview): Promise<{ to: string; sent: boolean }[]> {
  const out: { to: string; sent: boolean }[] = [];
  for (const to of [...new Set(deps.inboxes)]) {
    const key = `${written.criteriaId}|${written.period.from}_${written.period.to}|${to}`;
    if (!(await deps.mailLog.claim(key, deps.clock.now(), MAIL_LEASE_MS))) {
      out.push({ to, sent: false });
      continue;
    }
    let messageId: string;
    try {
      messageId = (await deps.mail.send(reviewEmail(written, deps.from, to))).messageId;
    } catch (error) {
      await deps.mailLog.release(key);
      throw error;
    }
    await deps.mailLog.markSent(key, messageId, deps.clock.now().toISOString());
    out.push({ to, sent: true });
  }
  return out;
}

/**
 * The quarterly run (the first day of each quarter): the previous quarter's review of every
 * published criteria set, and its link to marketing and sales once. A set that fails does not stop
 * the others; the run fails at the end naming them, so the scheduler retries (sent emails are not repeated).
 */
export async function runQuarterlyReviews(deps: QuarterlyDeps) {
  const period = previousQuarter(deps.clock.now());
  const written: { criteriaId: string; keys: ReviewKeys; mailed: { to: string; sent: boolean }[] }[] = [];
  const failed: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.criteria.list(cursor);
    for (const draft of page.items) {
      if (!draft.latestVersion) continue;
      try {
        const w = await writeCriteriaReview(deps, draft.criteriaId, period);
        written.push({ criteriaId: draft.criteriaId, keys: w.keys, mailed: await mailReview(deps, w) });
      } catch (error) {
        failed.push(`${draft.criteriaId} (${(error as Error).message})`);
      }
    }
    cursor = page.cursor;
  } while (cursor);
  if (failed.length) throw new Error(`quarterly review: ${failed.length} criteria set(s) failed: ${failed.join('; ')}`);
  return { period, reviews: written };
}
