import type { Command } from 'commander';
import type { CommandContext } from './context';

/** `mql criteria review|suggest|approve`: the quarterly review (docs/qualification.md, "The quarterly review"). */

const enc = encodeURIComponent;
const DAY_MS = 86_400_000;

/** `--from`/`--to`, else the 90 days up to today (UTC). */
function periodOf(o: { from?: string; to?: string }, now = new Date()) {
  const to = o.to ?? now.toISOString().slice(0, 10);
  return { from: o.from ?? new Date(Date.parse(to) - 89 * DAY_MS).toISOString().slice(0, 10), to };
}

type Interval = { low: number; high: number } | null;
type Suggestion = {
  n: number;
  title: string;
  backtest: {
    before: { mqls: number; mqlsPerMonth: number; acceptanceRate: number | null };
    after: { mqls: number; mqlsPerMonth: number; acceptanceRate: number | null };
    acceptedKept: { count: number; of: number; share: number | null };
    rejectedDropped: { count: number; of: number; share: number | null };
  };
};
type Group = {
  dimension: string;
  value: string;
  decided: number;
  acceptanceRate: number | null;
  lift: number | null;
  liftInterval: Interval;
  evidence: string | null;
};
type Version = {
  version: number;
  mqls: number;
  mqlToSal: number | null;
  salToSql: number | null;
  decided: number;
  acceptanceRate: number | null;
  approvals: { side: string; by: string; at: string }[];
  groups: Group[];
};

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
const num = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(2));

export function suggestionText(s: Suggestion): string {
  const b = s.backtest;
  return [
    `${s.n}. ${s.title}`,
    `   backtest: MQLs/month ${b.before.mqlsPerMonth} → ${b.after.mqlsPerMonth}; accepted of decided ${pct(b.before.acceptanceRate)} → ${pct(b.after.acceptanceRate)}`,
    `   keeps ${pct(b.acceptedKept.share)} of past accepted leads (${b.acceptedKept.count}/${b.acceptedKept.of}); drops ${pct(b.rejectedDropped.share)} of past rejected (${b.rejectedDropped.count}/${b.rejectedDropped.of})`,
  ].join('\n');
}

function versionText(v: Version): string {
  const signed = v.approvals.length
    ? `approved by ${v.approvals.map((a) => `${a.side} ${a.by} (${a.at.slice(0, 10)})`).join(', ')}`
    : 'no approval required';
  const strong = v.groups.filter((g) => g.evidence);
  return [
    `v${v.version}: ${v.mqls} MQLs, MQL → SAL ${pct(v.mqlToSal)}, SAL → SQL ${pct(v.salToSql)}, accepted ${pct(v.acceptanceRate)} of ${v.decided} decided; ${signed}`,
    ...strong.map(
      (g) =>
        `   ${g.dimension} ${g.value}: accepted ${pct(g.acceptanceRate)}, lift ${num(g.lift)} (95 % ${num(g.liftInterval?.low)}–${num(g.liftInterval?.high)}), n ${g.decided}`,
    ),
  ].join('\n');
}

export function addCriteriaReviewCommands(criteria: Command, context: CommandContext): void {
  addReview(criteria, context);
  addSuggest(criteria, context);
  addApprove(criteria, context);
}

function addReview(criteria: Command, { client, print }: CommandContext): void {
  criteria
    .command('review')
    .description("Write the criteria review of a period (JSON, CSV, HTML in S3): what sales's feedback says, with backtested suggestions")
    .argument('<criteriaId>')
    .option('--from <YYYY-MM-DD>', 'first day (UTC); default 89 days before --to')
    .option('--to <YYYY-MM-DD>', 'last day, included; default today')
    .action(async (id: string, o) => {
      const r = await client().request<{
        urls: { html: string; json: string; csv: string };
        urlsExpireAt: string | null;
        review: { period: { from: string; to: string }; versions: Version[]; suggestions: Suggestion[] };
      }>('POST', `/criteria/${enc(id)}/reviews`, periodOf(o));
      const { period, versions, suggestions } = r.review;
      print(r, () =>
        [
          `review of ${id}, ${period.from} to ${period.to}`,
          ...(versions.length ? versions.map(versionText) : ['no MQLs of this set from campaigns sent in the period']),
          `${suggestions.length} suggestion(s): mql criteria suggest ${id} --from ${period.from} --to ${period.to}`,
          `html: ${r.urls.html}`,
          `json: ${r.urls.json}`,
          `csv:  ${r.urls.csv}`,
          r.urlsExpireAt ? `(links work until ${r.urlsExpireAt})` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
}

function addSuggest(criteria: Command, { client, print }: CommandContext): void {
  criteria
    .command('suggest')
    .description(
      'Print suggested criteria changes with their evidence and backtests; --draft N makes suggestion N the draft (never published)',
    )
    .argument('<criteriaId>')
    .option('--from <YYYY-MM-DD>', 'first day (UTC); default 89 days before --to')
    .option('--to <YYYY-MM-DD>', 'last day, included; default today')
    .option('--draft <n>', 'apply suggestion n to the draft')
    .action(async (id: string, o) => {
      const period = periodOf(o);
      if (o.draft) {
        const r = await client().request<{ suggestion: Suggestion; draft: { revision: number } }>(
          'POST',
          `/criteria/${enc(id)}/suggestions/${enc(o.draft)}/draft`,
          period,
        );
        print(
          r,
          () =>
            `${suggestionText(r.suggestion)}\ndraft ${id} at revision ${r.draft.revision}: not published (backtest it, then mql criteria publish ${id})`,
        );
        return;
      }
      const r = await client().request<{ minSample: number; suggestions: Suggestion[] }>(
        'POST',
        `/criteria/${enc(id)}/suggestions`,
        period,
      );
      print(r, () =>
        r.suggestions.length
          ? r.suggestions.map(suggestionText).join('\n')
          : `no suggestion: no group has ${r.minSample} decided leads with a 95 % interval that excludes "no effect" (${period.from} to ${period.to})`,
      );
    });
}

function addApprove(criteria: Command, { client, print }: CommandContext): void {
  criteria
    .command('approve')
    .description("Approve the draft's revision for marketing or sales (both are needed when the set requires approval)")
    .argument('<criteriaId>')
    .requiredOption('--side <marketing|sales>')
    .requiredOption('--by <name>', 'who approves')
    .requiredOption('--revision <n>', 'the draft revision you read (mql criteria get)')
    .action(async (id: string, o) => {
      const r = await client().request<{ revision: number; approvals: { side: string; by: string }[]; missing: string[] }>(
        'POST',
        `/criteria/${enc(id)}/approvals`,
        { side: o.side, by: o.by, revision: Number(o.revision) },
      );
      print(
        r,
        () =>
          `${id} revision ${r.revision}: approved by ${r.approvals.map((a) => `${a.side} ${a.by}`).join(', ')}${r.missing.length ? `; still needs ${r.missing.join(' and ')}` : '; ready to publish'}`,
      );
    });
}
