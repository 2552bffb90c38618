import { escapeHtml as e } from '../html';
import type { CampaignReport } from './campaign-report';

/**
 * One self-contained HTML page: inline CSS and SVG, no script, no font or image from the network,
 * readable on a phone and in print. Every user-provided string goes through `escapeHtml`.
 */
const pct = (v: number | null, digits = 1) => (v === null ? '—' : `${(v * 100).toFixed(digits)} %`);
const int = (n: number) => n.toLocaleString('en-US');

function funnelChart(funnel: CampaignReport['funnel']): string {
  const max = Math.max(1, ...funnel.map((f) => f.count));
  const rowH = 30;
  const bars = funnel
    .map((f, i) => {
      const w = Math.max(2, Math.round((f.count / max) * 520));
      const y = i * rowH;
      return `<text x="0" y="${y + 19}" class="lbl">${e(f.stage)}</text><rect x="90" y="${y + 4}" width="${w}" height="20" rx="3" class="bar b${i}"/><text x="${96 + w}" y="${y + 19}" class="val">${int(f.count)}</text>`;
    })
    .join('');
  return `<svg viewBox="0 0 700 ${funnel.length * rowH}" role="img" aria-label="Funnel from sent to SQL">${bars}</svg>`;
}

function bandChart(label: string, b: { value: number | null; low: number; high: number; placement: string }): string {
  const scaleMax = Math.max(b.high * 1.5, (b.value ?? 0) * 1.1, 0.01);
  const x = (v: number) => 10 + (v / scaleMax) * 580;
  const marker =
    b.value === null
      ? ''
      : `<line x1="${x(b.value)}" x2="${x(b.value)}" y1="8" y2="42" class="mark"/><text x="${x(b.value)}" y="58" text-anchor="middle" class="val">${pct(b.value, 2)}</text>`;
  return `<figure><figcaption>${e(label)}: <strong>${pct(b.value, 2)}</strong> — ${e(b.placement)} the good band (${pct(b.low, 2)}–${pct(b.high, 2)})</figcaption>
<svg viewBox="0 0 600 64" role="img" aria-label="${e(label)} against its benchmark band"><rect x="10" y="16" width="580" height="18" class="track"/><rect x="${x(b.low)}" y="16" width="${x(b.high) - x(b.low)}" height="18" class="band"/><text x="${x(b.low)}" y="12" class="tick">${pct(b.low, 2)}</text><text x="${x(b.high)}" y="12" class="tick" text-anchor="end">${pct(b.high, 2)}</text>${marker}</svg></figure>`;
}

function hourlyChart(hourly: CampaignReport['metrics']['hourly']): string {
  if (!hourly.length) return '<p class="muted">No opens or clicks yet.</p>';
  const max = Math.max(1, ...hourly.map((h) => h.opens));
  const w = 600;
  const h = 140;
  const step = w / hourly.length;
  const bars = hourly
    .map((p, i) => {
      const x = i * step;
      const bw = Math.max(1, step * 0.8);
      const all = (p.opens / max) * h;
      const human = (p.humanOpens / max) * h;
      const clicks = (p.clicks / max) * h;
      return `<rect x="${x}" y="${h - all}" width="${bw}" height="${all}" class="all"><title>${e(p.hour)}:00 UTC — opens ${p.opens}, human ${p.humanOpens}, clicks ${p.clicks}</title></rect><rect x="${x}" y="${h - human}" width="${bw}" height="${human}" class="human"/><rect x="${x + bw * 0.25}" y="${h - clicks}" width="${bw * 0.5}" height="${clicks}" class="click"/>`;
    })
    .join('');
  return `<svg viewBox="0 0 ${w} ${h + 20}" role="img" aria-label="Opens and clicks per hour">${bars}<text x="0" y="${h + 16}" class="tick">${e(hourly[0]!.hour)}:00</text><text x="${w}" y="${h + 16}" class="tick" text-anchor="end">${e(hourly[hourly.length - 1]!.hour)}:00 UTC</text></svg>
<p class="legend"><span class="sw all"></span>all opens <span class="sw human"></span>human opens <span class="sw click"></span>clicks</p>`;
}

const css = `
:root{--ink:#1d2433;--muted:#667085;--line:#e4e7ec;--accent:#3b5bdb;--ok:#2f9e44;--warn:#e8590c}
*{box-sizing:border-box}body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--ink);margin:0 auto;max-width:960px;padding:24px}
h1{font-size:1.6rem;margin:.2em 0}h2{font-size:1.15rem;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.3em}
.muted,.tick,figcaption{color:var(--muted)}.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 12px}.tile b{display:block;font-size:1.5rem}.tile span{color:var(--muted);font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}td.n,th.n{text-align:right}
svg{width:100%;height:auto}.lbl,.val,.tick{font-size:12px}.bar{fill:var(--accent)}.b4,.b5{fill:var(--ok)}.track{fill:#f2f4f7}.band{fill:#b2f2bb}.mark{stroke:var(--ink);stroke-width:3}
.all{fill:#c5d0fa}.human{fill:var(--accent)}.click{fill:var(--warn)}.legend .sw{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}.legend .sw.all{background:#c5d0fa}.legend .sw.human{background:var(--accent)}.legend .sw.click{background:var(--warn)}
.warn{color:var(--warn);font-weight:600}.url{word-break:break-all}figure{margin:12px 0}
@media print{body{max-width:none;padding:0}h2{break-after:avoid}table,figure{break-inside:avoid}}
`;

export function renderCampaignHtml(r: CampaignReport): string {
  const m = r.metrics;
  const tile = (value: string, label: string) => `<div class="tile"><b>${value}</b><span>${e(label)}</span></div>`;
  const machine = Object.entries(m.machineFlags)
    .sort()
    .map(([k, v]) => `${e(k)}: ${int(v)}`)
    .join(', ');
  const repRow = (label: string, v: number | null, t: number) =>
    `<tr><td>${label}</td><td class="n">${pct(v, 2)}</td><td class="n">${pct(t, 1)}</td><td>${v !== null && v >= t / 2 ? '<span class="warn">approaching the SES review threshold</span>' : 'healthy'}</td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="mql-pipeline report v${r.schemaVersion}">
<title>${e(r.campaign.name)} — campaign report</title><style>${css}</style></head>
<body>
<header><p class="muted">Campaign report · ${e(r.campaign.campaignId)} · ${e(r.campaign.status)}</p><h1>${e(r.campaign.name)}</h1><p>Subject: “${e(r.campaign.subject)}”</p></header>
<section class="tiles">
${tile(int(m.delivered), `delivered of ${int(m.sent)} sent`)}
${tile(pct(m.rates.openRate), `open rate (human ${pct(m.rates.human.openRate)})`)}
${tile(pct(m.rates.clickRate, 2), `click rate (human ${pct(m.rates.human.clickRate, 2)})`)}
${tile(pct(m.rates.clickToOpenRate), 'click-to-open rate')}
${tile(int(r.mqls.count), `MQLs (${pct(r.mqls.rate, 2)} of delivered)`)}
${tile(int(r.mqls.sql), 'accepted by sales (SQL)')}
</section>
<h2>Funnel</h2>${funnelChart(r.funnel)}
<h2>Against industry benchmarks</h2>
${bandChart('Open rate', r.benchmarks.openRate)}
${bandChart('Click rate', r.benchmarks.clickRate)}
<p class="muted">Bands: ${e(r.benchmarks.source)}.</p>
<h2>All and human activity</h2>
<p>Machines open and click too: Apple Mail Privacy Protection fetches every image (an “open” for each message), and corporate security scanners follow links seconds after delivery. They are flagged, not dropped: the human column leaves them out, and a machine click never makes an MQL.</p>
<table><tr><th></th><th class="n">all</th><th class="n">human</th></tr>
<tr><td>Unique opens</td><td class="n">${int(m.uniqueOpens)}</td><td class="n">${int(m.human.uniqueOpens)}</td></tr>
<tr><td>Unique clicks</td><td class="n">${int(m.uniqueClicks)}</td><td class="n">${int(m.human.uniqueClicks)}</td></tr>
<tr><td>Total opens</td><td class="n">${int(m.totalOpens)}</td><td class="n">${int(m.human.totalOpens)}</td></tr>
<tr><td>Total clicks</td><td class="n">${int(m.totalClicks)}</td><td class="n">${int(m.human.totalClicks)}</td></tr>
<tr><td>Open rate</td><td class="n">${pct(m.rates.openRate, 2)}</td><td class="n">${pct(m.rates.human.openRate, 2)}</td></tr>
<tr><td>Click rate</td><td class="n">${pct(m.rates.clickRate, 2)}</td><td class="n">${pct(m.rates.human.clickRate, 2)}</td></tr>
</table>
<p class="muted">Machine activity flagged: ${machine || 'none'}.</p>
<h2>Opens and clicks over time</h2>${hourlyChart(m.hourly)}
<h2>Top links</h2>
<table><tr><th>Link</th><th class="n">unique clicks</th><th class="n">human</th><th class="n">total</th></tr>
${m.links.slice(0, 10).map((l) => `<tr><td class="url">${e(l.url ?? l.linkId)}</td><td class="n">${int(l.uniqueClicks)}</td><td class="n">${int(l.humanUniqueClicks)}</td><td class="n">${int(l.totalClicks)}</td></tr>`).join('\n') || '<tr><td colspan="4" class="muted">No clicks yet.</td></tr>'}
</table>
<h2>Deliverability</h2>
<table><tr><th></th><th class="n">rate</th><th class="n">SES threshold</th><th></th></tr>
${repRow('Bounces', r.reputation.bounceRate, r.reputation.bounceThreshold)}
${repRow('Complaints', r.reputation.complaintRate, r.reputation.complaintThreshold)}
</table>
<p class="muted">${int(m.bounced)} bounced (${int(m.bouncedPermanent)} permanent), ${int(m.complained)} complaints, ${int(m.unsubscribed)} unsubscribed.</p>
<h2>Marketing-qualified leads</h2>
<table><tr><th>Contact</th><th>Qualified</th><th>Stage</th><th>Why</th></tr>
${r.mqls.leads.map((l) => `<tr><td>${e(l.contactId)}</td><td>${e(l.qualifiedAt.slice(0, 16).replace('T', ' '))}</td><td>${e(l.stage)}</td><td>${l.reasons.map(e).join('<br>')}</td></tr>`).join('\n') || '<tr><td colspan="4" class="muted">No MQLs yet.</td></tr>'}
</table>
<h2>Definitions</h2>
<dl>${Object.entries(r.definitions).map(([k, v]) => `<dt><b>${e(k)}</b></dt><dd>${e(v)}</dd>`).join('')}</dl>
<footer><p class="muted">Generated ${e(r.generatedAt)} by mql-pipeline.</p></footer>
</body></html>
`;
}
