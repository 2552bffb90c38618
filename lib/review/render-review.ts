import { escapeHtml as e } from '../common/html';
import { css, csp } from '../reports/render-html';
import { csvChunks, type CsvCell } from '../reports/render-csv';
import type { CriteriaReview, ReviewGroup, ReviewVersion } from './model';
import type { Suggestion } from './suggest';

/**
 * The review as one self-contained page, the campaign report's way (lib/reports/render-html.ts):
 * its stylesheet and Content-Security-Policy (no script, nothing fetched), every string from a
 * person or a contact (names, attribute values, intents, reviewers) through `escapeHtml`, numbers
 * formatted without the locale.
 */

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`);
const num = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '—' : v.toFixed(digits));
const int = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const f = (x: number) => String(Number(x.toFixed(1)));
const scroll = (table: string) => `<div class="scroll">${table}</div>`;
const interval = (i: { low: number; high: number } | null) => (i ? `${num(i.low)}–${num(i.high)}` : '—');
const evidenceWords = { higher: 'accepted more', lower: 'accepted less' } as const;

function versionsSection(r: CriteriaReview): string {
  const rows = r.versions.map(
    (v) =>
      `<tr><td>v${v.version} ${e(v.name)}</td><td class="n">${int(v.mqls)}</td><td class="n">${pct(v.mqlToSal)}</td><td class="n">${pct(v.salToSql)}</td><td class="n">${int(v.decided)}</td><td class="n">${pct(v.acceptanceRate)}</td><td class="n">${int(v.open)}</td><td class="n">${pct(v.speedToLead.shareWithinTarget)}</td><td class="n">${num(v.speedToLead.medianHoursToAccept, 1)}</td><td>${approvalsText(v)}</td></tr>`,
  );
  return `<h2 id="versions">Criteria versions in use</h2>
${scroll(`<table><tr><th>Version</th><th class="n">MQLs</th><th class="n">MQL → SAL</th><th class="n">SAL → SQL</th><th class="n">decided</th><th class="n">accepted of decided</th><th class="n">awaiting</th><th class="n">accepted within target</th><th class="n">median h to accept</th><th>Approved by</th></tr>
${rows.join('\n') || '<tr><td colspan="10" class="muted">No MQLs of this criteria set from campaigns sent in this period.</td></tr>'}
</table>`)}`;
}

function approvalsText(v: ReviewVersion): string {
  if (!v.approvals.length) return '<span class="muted">not required</span>';
  return v.approvals
    .map((a) => `${e(a.side)}: ${e(a.by)} <span class="muted">${e(a.at.slice(0, 16).replace('T', ' '))}</span>`)
    .join('<br>');
}

function reasonsSection(v: ReviewVersion): string {
  if (!v.rejectionReasons.length) return '';
  return `<h3>Why sales rejected v${v.version}'s leads</h3>
${scroll(`<table><tr><th>Reason</th><th class="n">leads</th><th class="n">share</th></tr>
${v.rejectionReasons.map((x) => `<tr><td>${e(x.reason)}</td><td class="n">${int(x.count)}</td><td class="n">${pct(x.share)}</td></tr>`).join('\n')}
</table>`)}`;
}

/** Lift and its 95 % interval per group with enough leads to read: a line at 1 ("as average"). */
function liftChart(v: ReviewVersion, minSample: number): string {
  const shown = v.groups.filter((g) => g.liftInterval && g.decided >= Math.min(minSample, 10)).slice(0, 30);
  if (!shown.length) return '<p class="muted">Too few decided leads per group to draw.</p>';
  const max = Math.max(2, ...shown.map((g) => g.liftInterval!.high));
  const x = (l: number) => 230 + (l / max) * 460;
  const rowH = 22;
  const rows = shown
    .map((g, i) => {
      const y = i * rowH + 20;
      const cls = g.evidence === 'higher' ? 'okbar' : g.evidence === 'lower' ? 'warnbar' : 'bar';
      return `<text x="0" y="${y + 4}" class="lbl">${e(`${g.dimension}: ${g.value}`.slice(0, 34))}</text><rect x="${f(x(g.liftInterval!.low))}" y="${y - 5}" width="${f(Math.max(2, x(g.liftInterval!.high) - x(g.liftInterval!.low)))}" height="10" class="${cls}"/><circle cx="${f(x(g.lift ?? 0))}" cy="${y}" r="3" class="mark"/>`;
    })
    .join('');
  return `<div class="chart"><svg viewBox="0 0 720 ${shown.length * rowH + 30}" role="img" aria-label="Lift of each group with its 95 % interval" data-lift="v${v.version}"><line x1="${f(x(1))}" x2="${f(x(1))}" y1="0" y2="${shown.length * rowH + 26}" class="limit"/><text x="${f(x(1))}" y="${shown.length * rowH + 28}" class="tick" text-anchor="middle">1 = average</text>${rows}</svg></div>`;
}

function groupsTable(v: ReviewVersion): string {
  const row = (g: ReviewGroup) =>
    `<tr><td>${e(g.dimension)}</td><td>${e(g.value)}</td><td class="n">${int(g.leads)}</td><td class="n">${int(g.decided)}</td><td class="n">${pct(g.acceptanceRate)}</td><td class="n">${num(g.lift)}</td><td class="n">${interval(g.liftInterval)}</td><td>${g.evidence ? `<span class="${g.evidence === 'higher' ? 'ok' : 'warn'}">${evidenceWords[g.evidence]}</span>` : '<span class="muted">not established</span>'}</td></tr>`;
  return scroll(`<table data-groups="v${v.version}"><tr><th>Group</th><th>Value</th><th class="n">leads</th><th class="n">n (decided)</th><th class="n">accepted</th><th class="n">lift</th><th class="n">95 % interval</th><th>Evidence</th></tr>
${v.groups.map(row).join('\n') || '<tr><td colspan="8" class="muted">No groups.</td></tr>'}
</table>`);
}

function groupsSection(r: CriteriaReview): string {
  return r.versions
    .map(
      (v) => `<h2 id="groups-v${v.version}">What sales accepts: v${v.version}, per fit value and activity</h2>
<p>Acceptance rate of each group against the version's ${pct(v.acceptanceRate)}; lift 1 is average. Evidence holds with n ≥ ${r.minSample} and an interval that excludes 1.</p>
${liftChart(v, r.minSample)}
${groupsTable(v)}
${reasonsSection(v)}`,
    )
    .join('\n');
}

function suggestionsSection(r: CriteriaReview): string {
  const row = (s: Suggestion) => {
    const b = s.backtest;
    return `<tr><td class="n">${s.n}</td><td>${e(s.title)}</td><td class="n">${num(b.before.mqlsPerMonth, 1)} → ${num(b.after.mqlsPerMonth, 1)}</td><td class="n">${pct(b.before.acceptanceRate)} → ${pct(b.after.acceptanceRate)}</td><td class="n">${pct(b.acceptedKept.share)} (${int(b.acceptedKept.count)}/${int(b.acceptedKept.of)})</td><td class="n">${pct(b.rejectedDropped.share)} (${int(b.rejectedDropped.count)}/${int(b.rejectedDropped.of)})</td></tr>`;
  };
  return `<h2 id="suggestions">Suggested changes (never applied automatically)</h2>
<p>Each is backtested on this period's campaigns. Make one a draft with <code>mql criteria suggest ${e(r.criteriaId)} --from ${e(r.period.from)} --to ${e(r.period.to)} --draft N</code>; publishing stays a person's act.</p>
${scroll(`<table data-suggestions><tr><th class="n">N</th><th>Change and evidence</th><th class="n">MQLs / month</th><th class="n">accepted of decided</th><th class="n">accepted kept</th><th class="n">rejected dropped</th></tr>
${r.suggestions.map(row).join('\n') || `<tr><td colspan="6" class="muted">No change is suggested: no group has ${r.minSample} decided leads with an interval that excludes 1.</td></tr>`}
</table>`)}`;
}

export function renderReviewHtml(r: CriteriaReview): string {
  const title = `${r.name} — criteria review ${r.period.from} to ${r.period.to}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="mql-pipeline review schema ${r.schemaVersion}">
<title>${e(title)}</title><style>${css}</style></head>
<body>
<header><p class="muted">Criteria review</p><h1>${e(r.name)}</h1><p class="muted">Criteria ${e(r.criteriaId)} · ${int(r.campaigns.length)} campaign${r.campaigns.length === 1 ? '' : 's'} sent from ${e(r.period.from)} to ${e(r.period.to)} (UTC)</p></header>
${versionsSection(r)}
${suggestionsSection(r)}
${groupsSection(r)}
<h2>Reading these figures</h2>
<ul>${r.caveats.map((c) => `<li>${e(c)}</li>`).join('')}</ul>
<footer><p class="muted">Generated ${e(r.generatedAt)} by mql-pipeline (review schema ${r.schemaVersion}).</p></footer>
</body></html>
`;
}

export const reviewColumns = [
  'criteriaId',
  'version',
  'kind',
  'dimension',
  'value',
  'leads',
  'decided',
  'accepted',
  'acceptanceRate',
  'rateLow',
  'rateHigh',
  'lift',
  'liftLow',
  'liftHigh',
  'evidence',
] as const;

/** One CSV row per group of each version (formula-escaped, UTF-8 with BOM: render-csv.ts). */
export function reviewCsv(r: CriteriaReview): AsyncGenerator<string> {
  const rows: CsvCell[][] = r.versions.flatMap((v) =>
    v.groups.map((g) => [
      r.criteriaId,
      v.version,
      g.kind,
      g.dimension,
      g.value,
      g.leads,
      g.decided,
      g.accepted,
      g.acceptanceRate,
      g.interval?.low,
      g.interval?.high,
      g.lift,
      g.liftInterval?.low,
      g.liftInterval?.high,
      g.evidence ?? '',
    ]),
  );
  return csvChunks(reviewColumns, [rows]);
}
