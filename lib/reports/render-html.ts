import { escapeHtml as e } from '../common/html';
import type { ActivityPoint, BandPlacement, Report, ReputationStatus } from './report';
import { stageLabels } from './lead-stages';
import { salesFunnelSection, speedToLeadSection } from './render-lead-funnel';

/**
 * One self-contained HTML page: inline CSS and SVG, no script, no font, image or style from the
 * network (the Content-Security-Policy forbids any), readable on a phone, and printable. Every
 * string that came from a person (names, subjects, URLs, reasons, profile ids, band source) goes
 * through `escapeHtml`; numbers are formatted here, without the locale, so the bytes are the same
 * on every machine.
 */

/** Leads listed in the page; the rest are in leads.csv (the page stays small enough to open on a phone). */
export const HTML_LEAD_ROWS = 500;

const pct = (v: number | null, digits = 1) => (v === null ? '—' : `${(v * 100).toFixed(digits)} %`);
const int = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const f = (x: number) => String(Number(x.toFixed(1)));
const scroll = (table: string) => `<div class="scroll">${table}</div>`;

function funnelChart(funnel: Report['funnel']): string {
  const max = Math.max(1, ...funnel.map((s) => s.count));
  const rowH = 32;
  const bars = funnel
    .map((s, i) => {
      const w = Math.max(2, (s.count / max) * 440);
      const y = i * rowH;
      const conv = s.ofPrevious === null ? '' : ` (${pct(s.ofPrevious)} of ${e(funnel[i - 1]!.stage)})`;
      return `<text x="0" y="${y + 20}" class="lbl">${e(s.stage)}</text><rect x="80" y="${y + 5}" width="${f(w)}" height="22" rx="3" class="bar f${i}"/><text x="${f(86 + w)}" y="${y + 20}" class="val">${int(s.count)}${conv}</text>`;
    })
    .join('');
  return `<div class="chart"><svg viewBox="0 0 720 ${funnel.length * rowH}" role="img" aria-label="Funnel from sent to SQL">${bars}</svg></div>`;
}

const placementWords = { below: 'below', within: 'within', above: 'above', 'n/a': 'not yet measurable against' } as const;

function bandChart(label: string, b: BandPlacement): string {
  const scaleMax = Math.max(b.high * 1.5, (b.value ?? 0) * 1.1, (b.humanValue ?? 0) * 1.1, 0.01);
  const x = (v: number) => 10 + (v / scaleMax) * 580;
  const marker = (v: number | null, cls: string, y: number, name: string) =>
    v === null
      ? ''
      : `<line x1="${f(x(v))}" x2="${f(x(v))}" y1="18" y2="46" class="${cls}"/><text x="${f(x(v))}" y="${y}" text-anchor="middle" class="val ${cls}t">${name} ${pct(v, 2)}</text>`;
  return `<figure><figcaption>${e(label)}: <strong>${pct(b.value, 2)}</strong> all, <strong>${pct(b.humanValue, 2)}</strong> human — ${placementWords[b.placement]} the good band (${pct(b.low, 2)}–${pct(b.high, 2)})</figcaption>
<div class="chart"><svg viewBox="0 0 600 80" role="img" aria-label="${e(label)} against its benchmark band"><rect x="10" y="22" width="580" height="20" class="track"/><rect x="${f(x(b.low))}" y="22" width="${f(x(b.high) - x(b.low))}" height="20" class="band"/><text x="${f(x(b.low))}" y="14" class="tick" text-anchor="middle">${pct(b.low, 2)}</text><text x="${f(x(b.high))}" y="14" class="tick" text-anchor="middle">${pct(b.high, 2)}</text>${marker(b.value, 'mark', 60, 'all')}${marker(b.humanValue, 'hmark', 76, 'human')}</svg></div></figure>`;
}

function allVsHumanChart(r: Report): string {
  const m = r.metrics;
  const rows: [string, number | null, number | null][] = [
    ['Open rate', m.rates.openRate, m.rates.human.openRate],
    ['Click rate', m.rates.clickRate, m.rates.human.clickRate],
    ['Click-to-open', m.rates.clickToOpenRate, m.rates.human.clickToOpenRate],
  ];
  const max = Math.max(0.01, ...rows.flatMap(([, a, h]) => [a ?? 0, h ?? 0]));
  const bars = rows
    .map(([label, all, human], i) => {
      const y = i * 56;
      const w = (v: number | null) => Math.max(v ? 2 : 0, ((v ?? 0) / max) * 440);
      return `<text x="0" y="${y + 26}" class="lbl">${label}</text><rect x="110" y="${y + 6}" width="${f(w(all))}" height="18" class="all"/><text x="${f(116 + w(all))}" y="${y + 20}" class="val">all ${pct(all)}</text><rect x="110" y="${y + 28}" width="${f(w(human))}" height="18" class="human"/><text x="${f(116 + w(human))}" y="${y + 42}" class="val">human ${pct(human)}</text>`;
    })
    .join('');
  return `<div class="chart"><svg viewBox="0 0 720 ${rows.length * 56}" role="img" aria-label="All and human rates side by side">${bars}</svg></div>`;
}

function activityChart(activity: Report['activity']): string {
  const points: ActivityPoint[] = activity.points;
  if (!points.length) return '<p class="muted">No opens or clicks yet.</p>';
  const max = Math.max(1, ...points.map((p) => Math.max(p.opens, p.clicks)));
  const w = 600;
  const h = 140;
  const step = w / points.length;
  const bw = Math.max(1, step * 0.8);
  const suffix = activity.unit === 'hour' ? ':00' : '';
  const bars = points
    .map((p, i) => {
      const x = i * step;
      const height = (v: number) => (v / max) * h;
      return `<g><title>${e(p.at)}${suffix} UTC: opens ${int(p.opens)} (human ${int(p.humanOpens)}), clicks ${int(p.clicks)} (human ${int(p.humanClicks)})</title><rect x="${f(x)}" y="${f(h - height(p.opens))}" width="${f(bw)}" height="${f(height(p.opens))}" class="all"/><rect x="${f(x)}" y="${f(h - height(p.humanOpens))}" width="${f(bw)}" height="${f(height(p.humanOpens))}" class="human"/><rect x="${f(x + bw * 0.25)}" y="${f(h - height(p.clicks))}" width="${f(bw * 0.5)}" height="${f(height(p.clicks))}" class="click"/></g>`;
    })
    .join('');
  return `<div class="chart"><svg viewBox="0 0 ${w} ${h + 20}" role="img" aria-label="Opens and clicks per ${activity.unit}">${bars}<text x="0" y="${h + 16}" class="tick">${e(points[0]!.at)}${suffix}</text><text x="${w}" y="${h + 16}" class="tick" text-anchor="end">${e(points[points.length - 1]!.at)}${suffix} UTC</text></svg></div>
<p class="legend"><span class="sw all"></span>all opens <span class="sw human"></span>human opens <span class="sw click"></span>clicks (per ${activity.unit})</p>`;
}

const statusWords: Record<ReputationStatus, string> = {
  healthy: 'below the review level',
  'review-level': 'at or above the level where SES reviews an account',
  'pause-level': 'at or above the level where SES may pause sending',
  'n/a': 'nothing sent yet',
};

function reputationChart(label: string, t: Report['reputation']['bounceRate']): string {
  const scaleMax = Math.max(t.pause * 1.25, (t.value ?? 0) * 1.1);
  const x = (v: number) => 10 + (v / scaleMax) * 580;
  const value = t.value ?? 0;
  return `<figure><figcaption>${label}: <strong>${pct(t.value, 2)}</strong> — <span class="${t.status === 'healthy' || t.status === 'n/a' ? 'ok' : 'warn'}">${statusWords[t.status]}</span></figcaption>
<div class="chart"><svg viewBox="0 0 600 56" role="img" aria-label="${label} against the SES review and pause levels"><rect x="10" y="16" width="580" height="18" class="track"/><rect x="10" y="16" width="${f(x(value) - 10)}" height="18" class="${t.status === 'healthy' || t.status === 'n/a' ? 'okbar' : 'warnbar'}"/><line x1="${f(x(t.review))}" x2="${f(x(t.review))}" y1="10" y2="40" class="limit"/><text x="${f(x(t.review))}" y="52" text-anchor="middle" class="tick">review ${pct(t.review, 1)}</text><line x1="${f(x(t.pause))}" x2="${f(x(t.pause))}" y1="10" y2="40" class="limit"/><text x="${f(x(t.pause))}" y="52" text-anchor="middle" class="tick">pause ${pct(t.pause, 1)}</text></svg></div></figure>`;
}

function criteriaChart(rows: Report['mqls']['byCriteria']): string {
  if (!rows.length) return '';
  const max = Math.max(1, ...rows.map((r) => r.mqls));
  const bars = rows
    .map((r, i) => {
      const y = i * 48;
      const w = (n: number) => (n / max) * 560;
      const a = w(r.acceptedBySales);
      const j = w(r.rejectedBySales);
      const o = w(r.awaitingSales);
      return `<text x="0" y="${y + 14}" class="lbl">${e(r.criteria)}</text><rect x="0" y="${y + 20}" width="${f(a)}" height="20" class="sql"/><rect x="${f(a)}" y="${y + 20}" width="${f(j)}" height="20" class="rej"/><rect x="${f(a + j)}" y="${y + 20}" width="${f(o)}" height="20" class="open"/><text x="${f(6 + a + j + o)}" y="${y + 35}" class="val">${pct(r.sqlRate)} of ${int(r.mqls)} accepted</text>`;
    })
    .join('');
  return `<div class="chart"><svg viewBox="0 0 720 ${rows.length * 48}" role="img" aria-label="MQL to SQL per criteria version">${bars}</svg></div>
<p class="legend"><span class="sw sql"></span>accepted by sales <span class="sw rej"></span>rejected <span class="sw open"></span>awaiting sales</p>`;
}

export const css = `
:root{--ink:#1d2433;--muted:#5f6b7a;--line:#e4e7ec;--accent:#3b5bdb;--soft:#c5d0fa;--ok:#2f9e44;--warn:#c2410c;--rej:#e03131;--wait:#adb5bd}
*{box-sizing:border-box}body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0 auto;max-width:980px;padding:24px 16px}
h1{font-size:1.6rem;margin:.2em 0;overflow-wrap:anywhere}h2{font-size:1.15rem;margin:1.8em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.3em}
.muted,.tick,figcaption{color:var(--muted)}.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 12px}.tile b{display:block;font-size:1.5rem}.tile span{color:var(--muted);font-size:.85rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}td.n,th.n{text-align:right;white-space:nowrap}
svg{width:100%;height:auto;display:block}.lbl,.val,.tick{font-size:12px;fill:var(--ink)}.tick{fill:var(--muted)}.bar{fill:var(--accent)}.f4,.f5,.f6{fill:var(--ok)}
.track{fill:#f2f4f7}.band{fill:#b2f2bb}.mark{stroke:var(--ink);stroke-width:3}.hmark{stroke:var(--accent);stroke-width:3;stroke-dasharray:4 2}.hmarkt{fill:var(--accent)}
.all{fill:var(--soft)}.human{fill:var(--accent)}.click{fill:var(--warn)}.sql{fill:var(--ok)}.rej{fill:var(--rej)}.open{fill:var(--wait)}
.limit{stroke:var(--ink);stroke-width:2;stroke-dasharray:3 2}.okbar{fill:var(--ok)}.warnbar{fill:var(--warn)}.ok{color:var(--ok)}.warn{color:var(--warn);font-weight:600}
.legend .sw{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}.sw.all{background:var(--soft)}.sw.human{background:var(--accent)}.sw.click{background:var(--warn)}.sw.sql{background:var(--ok)}.sw.rej{background:var(--rej)}.sw.open{background:var(--wait)}
.url{word-break:break-all}figure{margin:12px 0}dt{margin-top:.4em}dd{margin-left:1em;color:var(--muted)}
/* On a phone a chart keeps a readable scale and scrolls sideways inside its box; the page itself does not. */
.chart{overflow-x:auto}@media (max-width:600px){body{padding:12px 10px;font-size:14px}.tile b{font-size:1.25rem}.chart svg{min-width:600px}}
@media print{body{max-width:none;padding:0;font-size:11pt}h2{break-after:avoid}table,figure,.tiles,.chart{break-inside:avoid}.scroll,.chart{overflow:visible}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
`;

export const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const tile = (value: string, label: string) => `<div class="tile"><b>${value}</b><span>${label}</span></div>`;

function documentHead(r: Report): string {
  const period = r.scope.kind === 'period';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="mql-pipeline report schema ${r.schemaVersion}">
<title>${e(r.title)} — ${period ? 'period' : 'campaign'} report</title><style>${css}</style></head>
<body>`;
}

function pageHeader(r: Report): string {
  const subtitle =
    r.scope.kind === 'campaign'
      ? r.campaigns
          .map(
            (c) =>
              `<p>Subject: “${e(c.subject)}”</p><p class="muted">Campaign ${e(c.campaignId)} · ${e(c.status)} · ${c.sendRequestedAt ? `sent ${e(c.sendRequestedAt.slice(0, 10))}` : 'not sent'} · criteria ${e(c.criteria)}</p>`,
          )
          .join('')
      : `<p class="muted">${int(r.campaigns.length)} campaign${r.campaigns.length === 1 ? '' : 's'} sent from ${e(r.scope.from)} to ${e(r.scope.to)} (UTC)</p>`;
  return `<header><p class="muted">${r.scope.kind === 'period' ? 'Period report' : 'Campaign report'}</p><h1>${e(r.title)}</h1>${subtitle}</header>`;
}

function headlineTiles({ metrics: m, mqls }: Report): string {
  return `<section class="tiles">
${tile(int(m.delivered), `delivered of ${int(m.sent)} sent`)}
${tile(pct(m.rates.openRate), `open rate (human ${pct(m.rates.human.openRate)})`)}
${tile(pct(m.rates.clickRate, 2), `click rate (human ${pct(m.rates.human.clickRate, 2)})`)}
${tile(pct(m.rates.clickToOpenRate), `click-to-open (human ${pct(m.rates.human.clickToOpenRate)})`)}
${tile(int(mqls.count), `MQLs (${pct(mqls.rate, 2)} of delivered)`)}
${tile(int(mqls.acceptedBySales), `SALs (${pct(mqls.salRate)} of MQLs)`)}
${tile(int(mqls.qualifiedBySales), `SQLs (${pct(mqls.sqlRate)} of MQLs)`)}
</section>`;
}

function benchmarksSection(b: Report['benchmarks']): string {
  return `<h2>Against industry benchmarks</h2>
${bandChart('Open rate', b.openRate)}
${bandChart('Click-through rate', b.clickRate)}
<p class="muted">Green band: a good rate according to ${e(b.source)}.</p>`;
}

function humanActivitySection(r: Report): string {
  const m = r.metrics;
  const machine = Object.entries(m.machineFlags)
    .map(([k, v]) => `${e(k)} ${int(v)}`)
    .join(', ');
  return `<h2>All and human activity</h2>
<p>Machine activity — privacy proxies that fetch every image (Apple Mail Privacy Protection) and security scanners that follow links seconds after delivery — is counted in “all”, left out of “human”, and never makes an MQL.</p>
${allVsHumanChart(r)}
${scroll(`<table><tr><th></th><th class="n">all</th><th class="n">human</th></tr>
<tr><td>Unique opens</td><td class="n">${int(m.uniqueOpens)}</td><td class="n">${int(m.human.uniqueOpens)}</td></tr>
<tr><td>Unique clicks</td><td class="n">${int(m.uniqueClicks)}</td><td class="n">${int(m.human.uniqueClicks)}</td></tr>
<tr><td>Total opens</td><td class="n">${int(m.totalOpens)}</td><td class="n">${int(m.human.totalOpens)}</td></tr>
<tr><td>Total clicks</td><td class="n">${int(m.totalClicks)}</td><td class="n">${int(m.human.totalClicks)}</td></tr>
</table>`)}
<p class="muted">Machine activity flagged (events per rule): ${machine || 'none'}.</p>`;
}

function topLinksSection(links: Report['metrics']['links']): string {
  return `<h2>Top links</h2>
${scroll(`<table><tr><th>Link</th><th class="n">unique clicks</th><th class="n">human</th><th class="n">total clicks</th></tr>
${
  links
    .slice(0, 10)
    .map(
      (l) =>
        `<tr><td class="url">${e(l.url ?? l.linkId)}</td><td class="n">${int(l.uniqueClicks)}</td><td class="n">${int(l.humanUniqueClicks)}</td><td class="n">${int(l.totalClicks)}</td></tr>`,
    )
    .join('\n') || '<tr><td colspan="4" class="muted">No clicks yet.</td></tr>'
}
</table>`)}`;
}

function deliverabilitySection({ metrics: m, reputation }: Report): string {
  return `<h2>Deliverability</h2>
${reputationChart('Bounce rate', reputation.bounceRate)}
${reputationChart('Complaint rate', reputation.complaintRate)}
<p class="muted">${int(m.bounced)} bounced (${int(m.bouncedPermanent)} permanent), ${int(m.complained)} complaints, ${int(m.unsubscribed)} unsubscribed (${pct(m.rates.unsubscribeRate, 2)}). SES judges these rates over the account's recent sending, not one campaign.</p>`;
}

function leadsSection(r: Report): string {
  const period = r.scope.kind === 'period';
  const campaignNames = new Map(r.campaigns.map((c) => [c.campaignId, c.name]));
  const leadRows = r.mqls.leads.slice(0, HTML_LEAD_ROWS);
  return `<h2>Marketing-qualified leads</h2>
${scroll(`<table><tr><th>Who</th>${period ? '<th>Campaign</th>' : ''}<th>Qualified (UTC)</th><th>Stage</th><th>Why</th></tr>
${leadRows.map((l) => `<tr><td>${e(l.name ?? l.contactId)}${l.company ? `<br><span class="muted">${e(l.company)}</span>` : ''}</td>${period ? `<td>${e(campaignNames.get(l.campaignId) ?? l.campaignId)}</td>` : ''}<td>${e(l.qualifiedAt.slice(0, 16).replace('T', ' '))}</td><td>${e(stageLabels[l.stage] ?? l.stage)}</td><td>${l.reasons.map(e).join('<br>')}</td></tr>`).join('\n') || `<tr><td colspan="${period ? 5 : 4}" class="muted">No MQLs yet.</td></tr>`}
</table>`)}
${r.mqls.leads.length > leadRows.length ? `<p class="muted">The first ${int(leadRows.length)} of ${int(r.mqls.leads.length)} MQLs; every one is in leads.csv.</p>` : ''}`;
}

function criteriaSection(rows: Report['mqls']['byCriteria']): string {
  return `<h2>MQL → SQL per criteria version</h2>
<p>How many of each criteria version's MQLs sales accepted: what the quarterly criteria review reads.</p>
${criteriaChart(rows)}
${scroll(`<table><tr><th>Criteria</th><th class="n">MQLs</th><th class="n">accepted</th><th class="n">rejected</th><th class="n">awaiting</th><th class="n">MQL → SQL</th></tr>
${rows.map((c) => `<tr><td>${e(c.criteria)}</td><td class="n">${int(c.mqls)}</td><td class="n">${int(c.acceptedBySales)}</td><td class="n">${int(c.rejectedBySales)}</td><td class="n">${int(c.awaitingSales)}</td><td class="n">${pct(c.sqlRate)}</td></tr>`).join('\n') || '<tr><td colspan="6" class="muted">No MQLs yet.</td></tr>'}
</table>`)}`;
}

/** Only the period report lists its campaigns (the campaign report's header describes its one). */
function campaignsSection(r: Report): string {
  if (r.scope.kind !== 'period') return '';
  return `<h2>Campaigns</h2>
${scroll(`<table><tr><th>Campaign</th><th>Sent</th><th class="n">delivered</th><th class="n">open rate (human)</th><th class="n">click rate (human)</th><th class="n">MQLs</th><th class="n">SQLs</th></tr>
${r.campaigns.map((c) => `<tr><td>${e(c.name)}<br><span class="muted">${e(c.campaignId)}</span></td><td>${e((c.sendRequestedAt ?? '').slice(0, 10))}</td><td class="n">${int(c.delivered)}</td><td class="n">${pct(c.openRate)} (${pct(c.humanOpenRate)})</td><td class="n">${pct(c.clickRate, 2)} (${pct(c.humanClickRate, 2)})</td><td class="n">${int(c.mqls)}</td><td class="n">${int(c.acceptedBySales)}</td></tr>`).join('\n') || '<tr><td colspan="7" class="muted">No campaign was sent in this period.</td></tr>'}
</table>`)}`;
}

function definitionsAndFooter(r: Report): string {
  return `<h2>Definitions</h2>
<dl>${Object.entries(r.definitions)
    .map(([k, v]) => `<dt><b>${e(k)}</b></dt><dd>${e(v)}</dd>`)
    .join('')}</dl>
<footer><p class="muted">Generated ${e(r.generatedAt)} by mql-pipeline (report schema ${r.schemaVersion}).</p></footer>`;
}

/** The page, section by section (each section's markup starts on a line of its own). */
export function renderReportHtml(r: Report): string {
  const sections = [
    documentHead(r),
    pageHeader(r),
    headlineTiles(r),
    `<h2>Funnel</h2>${funnelChart(r.funnel)}`,
    salesFunnelSection(r.mqls),
    speedToLeadSection(r.mqls),
    benchmarksSection(r.benchmarks),
    humanActivitySection(r),
    `<h2>Opens and clicks over time</h2>${activityChart(r.activity)}`,
    topLinksSection(r.metrics.links),
    deliverabilitySection(r),
    leadsSection(r),
    criteriaSection(r.mqls.byCriteria),
    campaignsSection(r),
    definitionsAndFooter(r),
    '</body></html>',
  ];
  return `${sections.join('\n')}\n`;
}
