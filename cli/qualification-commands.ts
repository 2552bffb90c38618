import type { Command } from 'commander';
import type { ApiClient } from './http-client';

/** What the qualification commands need from the program: the API client and the output helpers. */
export interface QualificationCommandContext {
  client: () => ApiClient;
  print: (value: unknown, human: () => string) => void;
  readJson: (file: string) => Promise<unknown>;
  /** A contact named by id or by email (looked up). */
  contactIdOf: (idOrEmail: string) => Promise<string>;
}

const pct = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(2)} %`);

/**
 * `mql criteria …` (create, edit, publish, versions, get, backtest), `mql engagement add`,
 * `mql lead get|accept|reject|stage|reopen|rates` and `mql routing get|set`: docs/qualification.md.
 */
export function addQualificationCommands(program: Command, { client, print, readJson, contactIdOf }: QualificationCommandContext): void {
  const enc = encodeURIComponent;
  const listOf = (v?: string) => v?.split(',').map((s) => s.trim()).filter(Boolean);

  const criteria = program.command('criteria').description('Qualification criteria: fit and engagement rules, versions, backtests (docs/qualification.md)');
  criteria
    .command('create')
    .description('Create a criteria set whose draft is the JSON file (a criteria document)')
    .requiredOption('--file <criteria.json>')
    .action(async (o) => {
      const d = await client().request<{ criteriaId: string; revision: number }>('POST', '/criteria', await readJson(o.file));
      print(d, () => `criteria ${d.criteriaId}: draft revision ${d.revision} (publish it to use it)`);
    });
  criteria
    .command('list')
    .description('List criteria sets')
    .action(async () => {
      const r = await client().request<{ items: { criteriaId: string; document: { name: string }; latestVersion?: number; revision: number }[] }>('GET', '/criteria');
      print(r, () => r.items.map((c) => `${c.criteriaId}  ${c.document.name}  latest v${c.latestVersion ?? '—'}  draft r${c.revision}`).join('\n') || 'no criteria');
    });
  criteria
    .command('get')
    .description('Show a criteria set: its draft and versions; with --version, that published version')
    .argument('<criteriaId>')
    .option('--version <n>', 'a published version')
    .action(async (id: string, o) => {
      const path = o.version ? `/criteria/${enc(id)}/versions/${enc(o.version)}` : `/criteria/${enc(id)}`;
      const r = await client().request<unknown>('GET', path);
      print(r, () => JSON.stringify(r, null, 2));
    });
  criteria
    .command('edit')
    .description('Replace the draft with the JSON file (published versions never change)')
    .argument('<criteriaId>')
    .requiredOption('--file <criteria.json>')
    .option('--revision <n>', 'only if the draft is still at this revision')
    .action(async (id: string, o) => {
      const q = o.revision ? `?revision=${enc(o.revision)}` : '';
      const d = await client().request<{ revision: number }>('PUT', `/criteria/${enc(id)}/draft${q}`, await readJson(o.file));
      print(d, () => `draft ${id} at revision ${d.revision}`);
    });
  criteria
    .command('publish')
    .description('Publish the draft as the next immutable version')
    .argument('<criteriaId>')
    .option('--default', 'also make it the default set (for engagement events posted with no campaign)')
    .action(async (id: string, o) => {
      const r = await client().request<{ version: { version: number }; published: boolean; isDefault: boolean }>('POST', `/criteria/${enc(id)}/publish${o.default ? '?makeDefault=true' : ''}`);
      print(r, () => `${id} v${r.version.version}${r.published ? ' published' : ' (unchanged draft: already published)'}${r.isDefault ? ', default' : ''}`);
    });
  criteria
    .command('versions')
    .description('List published versions')
    .argument('<criteriaId>')
    .action(async (id: string) => {
      const r = await client().request<{ items: { version: number; publishedAt: string; document: { name: string } }[] }>('GET', `/criteria/${enc(id)}/versions`);
      print(r, () => r.items.map((v) => `v${v.version}  ${v.publishedAt}  ${v.document.name}`).join('\n') || 'no published version');
    });
  criteria
    .command('backtest')
    .description('Evaluate the draft (or a version) against recorded engagement of campaigns')
    .argument('<criteriaId>')
    .requiredOption('--campaigns <ids>', 'comma-separated campaign ids (at most 20)')
    .option('--version <n>', 'a published version instead of the draft')
    .option('--target <mqls>', 'monthly MQL target: says whether the sending volume produces it')
    .option('--volume <emails>', 'deliveries per month (measured from the last 30 days when absent)')
    .action(async (id: string, o) => {
      const body = {
        campaignIds: listOf(o.campaigns),
        ...(o.version ? { version: Number(o.version) } : {}),
        ...(o.target ? { monthlyTarget: Number(o.target) } : {}),
        ...(o.volume ? { monthlyVolume: Number(o.volume) } : {}),
      };
      type Row = { campaignId: string; delivered: number; engagedContacts: number; wouldQualify: number; handRaisers: number; mqlsToday: number; acceptedBySales: number; currentMqls: number };
      const r = await client().request<{ campaigns: Row[]; totals: Omit<Row, 'campaignId'>; forecast?: Record<string, unknown> }>('POST', `/criteria/${enc(id)}/backtest`, body);
      print(r, () =>
        [
          'campaign                     delivered  engaged  would-MQL  hand-raisers  MQL today  accepted  current MQLs',
          ...[...r.campaigns, { campaignId: 'total', ...r.totals }].map((c) =>
            [c.campaignId.padEnd(28), c.delivered, c.engagedContacts, c.wouldQualify, c.handRaisers, c.mqlsToday, c.acceptedBySales, c.currentMqls].map((v, i) => (i ? String(v).padStart(i === 4 ? 13 : 10) : v)).join(' '),
          ),
          r.forecast ? `forecast: ${JSON.stringify(r.forecast)}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });

  const engagement = program.command('engagement').description('Engagement events posted through the API (webinar attended, pricing page viewed, …)');
  engagement
    .command('add')
    .description('Record an engagement event for a contact; it is scored and may qualify the contact')
    .argument('<contact>', 'contact id or email')
    .argument('<type>', 'e.g. webinar-attended, pricing-page-viewed, whitepaper-downloaded, trial-started')
    .option('--at <iso>', 'when it happened (now when absent)')
    .option('--id <eventId>', 'your id for the event: posting it again records nothing new')
    .option('--campaign <campaignId>', 'attribute it to a campaign')
    .option('--criteria <criteriaId>', 'criteria to evaluate with when no campaign is named')
    .action(async (idOrEmail: string, type: string, o) => {
      const contactId = await contactIdOf(idOrEmail);
      const body = { type, ...(o.at ? { at: o.at } : {}), ...(o.id ? { eventId: o.id } : {}), ...(o.campaign ? { campaignId: o.campaign } : {}), ...(o.criteria ? { criteriaId: o.criteria } : {}) };
      const r = await client().request<{ recorded: boolean; qualification: string; lead?: { leadId: string; owner: string } }>('POST', `/contacts/${enc(contactId)}/engagement`, body);
      print(r, () => `${r.recorded ? 'recorded' : 'already recorded'}; qualification: ${r.qualification}${r.lead ? ` (lead ${r.lead.leadId}, owner ${r.lead.owner})` : ''}`);
    });

  const lead = program.command('lead').description('Sales feedback on leads: accept, reject, later stages');
  const feedback = async (idOrEmail: string, body: Record<string, unknown>) => {
    const contactId = await contactIdOf(idOrEmail);
    const r = await client().request<{ lead: { leadId: string; stage: string }; changed: boolean }>('POST', `/leads/${enc(contactId)}/feedback`, body);
    print(r, () => `${r.lead.leadId}: ${r.lead.stage}${r.changed ? '' : ' (unchanged)'}`);
  };
  lead
    .command('get')
    .description('A contact\'s current lead and its activity history')
    .argument('<contact>', 'contact id or email')
    .action(async (idOrEmail: string) => {
      const r = await client().request<unknown>('GET', `/leads/${enc(await contactIdOf(idOrEmail))}`);
      print(r, () => JSON.stringify(r, null, 2));
    });
  lead
    .command('accept')
    .description('Sales accepts the MQL (it becomes an SQL)')
    .argument('<contact>', 'contact id or email')
    .option('--note <text>')
    .option('--lead <leadId>', 'only if this is still the current lead')
    .action((contactId: string, o) => feedback(contactId, { action: 'accept', ...(o.note ? { note: o.note } : {}), ...(o.lead ? { leadId: o.lead } : {}) }));
  lead
    .command('reject')
    .description('Sales rejects the MQL, with a reason')
    .argument('<contact>', 'contact id or email')
    .requiredOption('--reason <reason>', 'not-a-fit, no-budget, no-authority, no-need, bad-timing, existing-customer, competitor, student, duplicate, unreachable, other')
    .option('--note <text>')
    .option('--lead <leadId>', 'only if this is still the current lead')
    .action((contactId: string, o) => feedback(contactId, { action: 'reject', reason: o.reason, ...(o.note ? { note: o.note } : {}), ...(o.lead ? { leadId: o.lead } : {}) }));
  lead
    .command('stage')
    .description('Move an accepted lead forward: meeting, proposal, won, lost')
    .argument('<contact>', 'contact id or email')
    .argument('<stage>')
    .option('--note <text>')
    .option('--lead <leadId>', 'only if this is still the current lead')
    .action((contactId: string, stage: string, o) => feedback(contactId, { action: 'stage', stage, ...(o.note ? { note: o.note } : {}), ...(o.lead ? { leadId: o.lead } : {}) }));
  lead
    .command('reopen')
    .description('Explicitly move a lead back (or reopen a rejected, won or lost one)')
    .argument('<contact>', 'contact id or email')
    .argument('<stage>', 'mql, sql, meeting or proposal')
    .requiredOption('--reason <text>')
    .action((contactId: string, stage: string, o) => feedback(contactId, { action: 'reopen', stage, reason: o.reason }));
  lead
    .command('rates')
    .description('MQL → SQL rates of campaigns: per campaign, criteria version and rejection reason')
    .requiredOption('--campaigns <ids>', 'comma-separated campaign ids')
    .action(async (o) => {
      type Row = { mqls: number; accepted: number; rejected: number; open: number; rate: number | null };
      const r = await client().request<{ total: Row; byCampaign: (Row & { campaignId: string })[]; byCriteriaVersion: (Row & { criteriaId: string; version: number })[]; byRejectionReason: { reason: string; count: number; share: number }[] }>(
        'GET',
        `/qualification/rates?campaignIds=${enc((listOf(o.campaigns) ?? []).join(','))}`,
      );
      const line = (name: string, x: Row) => `${name.padEnd(32)} MQLs ${x.mqls}  accepted ${x.accepted}  rejected ${x.rejected}  open ${x.open}  MQL→SQL ${pct(x.rate)}`;
      print(r, () =>
        [
          line('total', r.total),
          ...r.byCampaign.map((c) => line(c.campaignId, c)),
          ...r.byCriteriaVersion.map((c) => line(`${c.criteriaId} v${c.version}`, c)),
          ...r.byRejectionReason.map((x) => `rejected: ${x.reason} ${x.count} (${pct(x.share)})`),
        ].join('\n'),
      );
    });

  const routing = program.command('routing').description('Who gets new MQLs: contact owner, territories with round-robin teams, default inbox');
  routing
    .command('get')
    .description('Show the routing rules and their revision')
    .action(async () => {
      const r = await client().request<unknown>('GET', '/routing');
      print(r, () => JSON.stringify(r, null, 2));
    });
  routing
    .command('set')
    .description('Replace the routing rules with the JSON file')
    .requiredOption('--file <routing.json>')
    .option('--revision <n>', 'only if the rules are still at this revision')
    .action(async (o) => {
      const r = await client().request<{ revision: number }>('PUT', `/routing${o.revision ? `?revision=${enc(o.revision)}` : ''}`, await readJson(o.file));
      print(r, () => `routing at revision ${r.revision}`);
    });
}
