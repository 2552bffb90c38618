import { escapeHtml as e } from '../common/html';
import type { Report } from './report';

/** The sales half of the HTML report: the MQL → SAL → SQL funnel and speed-to-lead per owner. */

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
const int = (v: number) => String(Math.round(v));
const hours = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} h`);
const f = (x: number) => String(Number(x.toFixed(1)));

/** Three bars: MQLs, accepted by sales (SAL), qualified by sales (SQL), each with its conversion from the one before. */
export function salesFunnelSection(m: Report['mqls']): string {
  const steps = [
    { stage: 'MQL', count: m.count, conv: null as number | null },
    { stage: 'SAL', count: m.acceptedBySales, conv: m.salRate },
    { stage: 'SQL', count: m.qualifiedBySales, conv: m.salToSqlRate },
  ];
  const max = Math.max(1, m.count);
  const bars = steps
    .map((s, i) => {
      const w = Math.max(2, (s.count / max) * 440);
      const y = i * 32;
      const conv = s.conv === null ? '' : ` (${pct(s.conv)} of ${steps[i - 1]!.stage})`;
      return `<text x="0" y="${y + 20}" class="lbl">${s.stage}</text><rect x="80" y="${y + 5}" width="${f(w)}" height="22" rx="3" class="bar f${i + 4}"/><text x="${f(86 + w)}" y="${y + 20}" class="val">${int(s.count)}${conv}</text>`;
    })
    .join('');
  return `<h2 id="sales-funnel">MQL → SAL → SQL</h2>
<p>MQL → SAL: sales accepted the lead (will follow it up); SAL → SQL: sales qualified it (an opportunity). MQL → SQL: ${pct(m.sqlRate)}.${m.historical ? ` ${int(m.historical)} historical MQL${m.historical === 1 ? '' : 's'} (qualified outside the freshness window, no alert) counted.` : ''}</p>
<div class="chart"><svg viewBox="0 0 720 96" role="img" aria-label="Funnel from MQL to SAL to SQL" data-funnel="sales">${bars}</svg></div>`;
}

/** Per owner: the share of alerted MQLs accepted within the follow-up target, and the median time to accept. */
export function speedToLeadSection(m: Report['mqls']): string {
  const rows = m.speedToLead
    .map(
      (o) =>
        `<tr><td>${e(o.owner)}</td><td class="n">${int(o.mqls)}</td><td class="n">${int(o.acceptedWithinTarget)}</td><td class="n">${pct(o.shareWithinTarget)}</td><td class="n">${hours(o.medianHoursToAccept)}</td></tr>`,
    )
    .join('\n');
  return `<h2 id="speed-to-lead">Speed to lead</h2>
<p>How fast each owner accepted the MQLs routed to them, against the follow-up target of their routing rule.</p>
<div class="scroll"><table><tr><th>Owner</th><th class="n">MQLs</th><th class="n">accepted within target</th><th class="n">share within target</th><th class="n">median time to accept</th></tr>
${rows || '<tr><td colspan="5" class="muted">No alerted MQLs yet.</td></tr>'}
</table></div>`;
}
