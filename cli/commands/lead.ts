import type { Command } from 'commander';
import { ApiError } from '../http-client';
import { listOf, pct, type CommandContext } from './context';

/** `mql lead get|accept|reject|stage|reopen|rates`: sales feedback on leads, and MQL → SQL rates. */
export function addLeadCommands(program: Command, context: CommandContext): void {
  const lead = program.command('lead').description('Sales feedback on leads: accept, reject, later stages');
  lead
    .command('get')
    .description("A contact's current lead and its activity history")
    .argument('<contact>', 'contact id or email')
    .option('--campaign <campaignId>', 'when the contact is not an MQL: explain this campaign only (default: the 20 newest)')
    .action(async (idOrEmail: string, o: { campaign?: string }) => {
      const contactId = await context.contactIdOf(idOrEmail);
      const r = await context
        .client()
        .request<LeadWithHistory>('GET', `/leads/${enc(contactId)}`)
        .catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 404 && /has no lead/.test(error.message)) return undefined;
          throw error;
        });
      if (r) return context.print(r, () => leadText(r));
      // No lead: say why nothing happened, campaign by campaign.
      const q = o.campaign ? `?campaignId=${enc(o.campaign)}` : '';
      const why = await context.client().request<Explanation>('GET', `/leads/${enc(contactId)}/explanation${q}`);
      context.print({ lead: null, explanation: why }, () => explanationText(why));
    });
  addFeedback(lead, feedbackSender(context));
  addRates(lead, context);
}

const enc = encodeURIComponent;

/** What `GET /leads/{contactId}` answers, as far as the text shows it. */
interface LeadWithHistory {
  lead: {
    leadId: string;
    contactId: string;
    stage: string;
    qualifiedAt: string;
    campaignId?: string;
    criteriaId: string;
    criteriaVersion: number;
    reasons: string[];
    fit: { score: number; threshold: number };
    engagement: { score: number; threshold: number };
    owner: string;
    notifiedAt?: string;
  };
  history: { at: string; what?: string; kind?: string; afterQualification: boolean }[];
}

interface Explanation {
  contactId: string;
  campaigns: { campaignId: string; criteriaId?: string; criteriaVersion?: number; why: string[] }[];
}

/** Why a contact is not an MQL, per campaign that mailed them. */
function explanationText(e: Explanation): string {
  if (!e.campaigns.length) return `${e.contactId}: not an MQL; no recent campaign mailed this contact`;
  return [
    `${e.contactId}: not an MQL`,
    ...e.campaigns.flatMap((c) => [
      `  ${c.campaignId}${c.criteriaId ? ` (criteria ${c.criteriaId} v${c.criteriaVersion})` : ''}:`,
      ...c.why.map((w) => `    ${w}`),
    ]),
  ].join('\n');
}

/** A lead in a few lines: stage, when and why it qualified, who was told. */
function leadText({ lead, history }: LeadWithHistory): string {
  const stage = lead.stage.toUpperCase();
  return [
    `${lead.contactId}: ${stage} since ${lead.qualifiedAt}${lead.campaignId ? ` (campaign ${lead.campaignId})` : ''}, lead ${lead.leadId}`,
    `  criteria ${lead.criteriaId} v${lead.criteriaVersion}: fit ${lead.fit.score} of ${lead.fit.threshold} needed, engagement ${lead.engagement.score} of ${lead.engagement.threshold} needed`,
    ...lead.reasons.map((r) => `  why: ${r}`),
    `  sales: ${lead.owner}${lead.notifiedAt ? `, emailed ${lead.notifiedAt}` : ', not emailed yet'}`,
    `  activity: ${history.length} scored (${history.filter((h) => h.afterQualification).length} after qualifying); --json for all of it`,
  ].join('\n');
}

type SendFeedback = (idOrEmail: string, body: Record<string, unknown>) => Promise<void>;

/** Posts one piece of feedback on a contact's lead and prints the lead's stage after it. */
function feedbackSender({ client, print, contactIdOf }: CommandContext): SendFeedback {
  return async (idOrEmail, body) => {
    const contactId = await contactIdOf(idOrEmail);
    const r = await client().request<{ lead: { leadId: string; stage: string }; changed: boolean }>(
      'POST',
      `/leads/${enc(contactId)}/feedback`,
      body,
    );
    print(r, () => `${r.lead.leadId}: ${r.lead.stage}${r.changed ? '' : ' (unchanged)'}`);
  };
}

function addFeedback(lead: Command, feedback: SendFeedback): void {
  lead
    .command('accept')
    .description('Sales accepts the MQL and will follow it up (it becomes a SAL)')
    .argument('<contact>', 'contact id or email')
    .option('--note <text>')
    .option('--lead <leadId>', 'only if this is still the current lead')
    .action((contactId: string, o) =>
      feedback(contactId, { action: 'accept', ...(o.note ? { note: o.note } : {}), ...(o.lead ? { leadId: o.lead } : {}) }),
    );
  lead
    .command('qualify')
    .description('Sales qualifies the lead (it becomes an SQL: a real opportunity); an MQL is accepted at the same moment')
    .argument('<contact>', 'contact id or email')
    .option('--note <text>')
    .option('--lead <leadId>', 'only if this is still the current lead')
    .action((contactId: string, o) =>
      feedback(contactId, { action: 'qualify', ...(o.note ? { note: o.note } : {}), ...(o.lead ? { leadId: o.lead } : {}) }),
    );
  lead
    .command('recycle')
    .description('Send a rejected or stalled lead back to nurture (it may qualify again after the cool-down)')
    .argument('<contact>', 'contact id or email')
    .requiredOption('--reason <text>')
    .action((contactId: string, o) => feedback(contactId, { action: 'recycle', reason: o.reason }));
  lead
    .command('reject')
    .description('Sales rejects the MQL, with a reason')
    .argument('<contact>', 'contact id or email')
    .requiredOption(
      '--reason <reason>',
      'not-a-fit, no-budget, no-authority, no-need, bad-timing, existing-customer, competitor, student, duplicate, unreachable, other',
    )
    .option('--note <text>')
    .option('--lead <leadId>', 'only if this is still the current lead')
    .action((contactId: string, o) =>
      feedback(contactId, {
        action: 'reject',
        reason: o.reason,
        ...(o.note ? { note: o.note } : {}),
        ...(o.lead ? { leadId: o.lead } : {}),
      }),
    );
  lead
    .command('stage')
    .description('Move an accepted lead forward: meeting, proposal, won, lost')
    .argument('<contact>', 'contact id or email')
    .argument('<stage>')
    .option('--note <text>')
    .option('--lead <leadId>', 'only if this is still the current lead')
    .action((contactId: string, stage: string, o) =>
      feedback(contactId, { action: 'stage', stage, ...(o.note ? { note: o.note } : {}), ...(o.lead ? { leadId: o.lead } : {}) }),
    );
  lead
    .command('reopen')
    .description('Explicitly move a lead back (or reopen a rejected, won or lost one)')
    .argument('<contact>', 'contact id or email')
    .argument('<stage>', 'mql, sal, sql, meeting or proposal')
    .requiredOption('--reason <text>')
    .action((contactId: string, stage: string, o) => feedback(contactId, { action: 'reopen', stage, reason: o.reason }));
}

type RateRow = {
  mqls: number;
  accepted: number;
  qualified: number;
  rejected: number;
  open: number;
  mqlToSal: number | null;
  salToSql: number | null;
  mqlToSql: number | null;
  medianHoursIn: { mql: number | null; sal: number | null };
};
type Rates = {
  total: RateRow;
  byCampaign: (RateRow & { campaignId: string })[];
  byCriteriaVersion: (RateRow & { criteriaId: string; version: number })[];
  byRejectionReason: { reason: string; count: number; share: number }[];
};

function addRates(lead: Command, { client, print }: CommandContext): void {
  lead
    .command('rates')
    .description('MQL → SAL → SQL rates and time in stage of campaigns: per campaign, criteria version and rejection reason')
    .requiredOption('--campaigns <ids>', 'comma-separated campaign ids')
    .action(async (o) => {
      const r = await client().request<Rates>('GET', `/qualification/rates?campaignIds=${enc((listOf(o.campaigns) ?? []).join(','))}`);
      print(r, () => ratesText(r));
    });
}

const hours = (h: number | null | undefined) => (h === null || h === undefined ? '—' : h.toFixed(1));

function ratesText(r: Rates): string {
  const line = (name: string, x: RateRow) =>
    `${name.padEnd(32)} MQLs ${x.mqls}  SAL ${x.accepted}  SQL ${x.qualified}  rejected ${x.rejected}  open ${x.open}  MQL→SAL ${pct(x.mqlToSal)}  SAL→SQL ${pct(x.salToSql)}  MQL→SQL ${pct(x.mqlToSql)}  median h in MQL ${hours(x.medianHoursIn?.mql)}, in SAL ${hours(x.medianHoursIn?.sal)}`;
  return [
    line('total', r.total),
    ...r.byCampaign.map((c) => line(c.campaignId, c)),
    ...r.byCriteriaVersion.map((c) => line(`${c.criteriaId} v${c.version}`, c)),
    ...r.byRejectionReason.map((x) => `rejected: ${x.reason} ${x.count} (${pct(x.share)})`),
  ].join('\n');
}

/** `mql leads list`: sales's queue of a campaign's leads. */
export function addLeadsCommands(program: Command, { client, print }: CommandContext): void {
  program
    .command('leads')
    .description("Sales's queue of leads")
    .command('list')
    .description("A campaign's leads, by stage, owner, overdue (every page)")
    .requiredOption('--campaign <campaignId>')
    .option('--stage <stage>', 'mql, sal, sql, meeting, proposal, won, lost, rejected, recycled')
    .option('--owner <email>')
    .option('--overdue', 'only MQLs past their follow-up target')
    .action(async (o) => {
      type Row = { leadId: string; stage: string; owner: string; qualifiedAt: string; followUp?: { dueAt: string } };
      const rows: Row[] = [];
      let cursor: string | undefined;
      do {
        const params = new URLSearchParams({ campaignId: o.campaign });
        if (o.stage) params.set('stage', o.stage);
        if (o.owner) params.set('owner', o.owner);
        if (o.overdue) params.set('overdue', 'true');
        if (cursor) params.set('cursor', cursor);
        const page = await client().request<{ items: Row[]; cursor?: string }>('GET', `/leads?${params}`);
        rows.push(...page.items);
        cursor = page.cursor;
      } while (cursor);
      print({ items: rows }, () =>
        rows.length
          ? rows
              .map(
                (l) =>
                  `${l.leadId.padEnd(28)} ${l.stage.padEnd(9)} ${l.owner.padEnd(30)} qualified ${l.qualifiedAt}${l.followUp ? `  due ${l.followUp.dueAt}` : ''}`,
              )
              .join('\n')
          : 'no leads match',
      );
    });
}
