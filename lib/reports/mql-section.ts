import type { Lead } from '../qualification/lead';
import { RateAccumulator } from '../qualification/lead-rates';
import { speedToLeadByOwner } from '../qualification/speed-to-lead';
import { criteriaVersionOf } from './lead-stages';
import {
  compareText,
  ratio,
  type CriteriaVersionRow,
  type LeadContact,
  type Report,
  type ReportCampaignInput,
  type ReportLead,
} from './report';

/** The report's marketing-qualified leads: how many, what sales made of them, per criteria version, and the list. */

type CampaignLead = Lead & { campaignId: string };

const compareLeads = (a: CampaignLead, b: CampaignLead) =>
  compareText(a.qualifiedAt, b.qualifiedAt) ||
  compareText(a.campaignId, b.campaignId) ||
  compareText(a.contactId, b.contactId) ||
  a.lifecycle - b.lifecycle;

/** Every campaign's leads in one stable order. Leads listed by campaign carry it; the type allows leads that an API event made. */
function leadsOf(inputs: ReportCampaignInput[]): CampaignLead[] {
  return inputs.flatMap((c) => c.leads.map((l) => ({ ...l, campaignId: l.campaignId ?? c.campaign.campaignId }))).sort(compareLeads);
}

/** Per criteria version, with the qualification rates' own definitions (lib/qualification/lead-rates.ts). */
function criteriaRows(leads: CampaignLead[]): CriteriaVersionRow[] {
  const criteria = new Map<string, RateAccumulator>();
  for (const lead of leads) {
    const key = criteriaVersionOf(lead);
    if (!criteria.has(key)) criteria.set(key, new RateAccumulator());
    criteria.get(key)!.add(lead);
  }
  return [...criteria]
    .map(([key, acc]) => {
      const r = acc.row();
      return {
        criteria: key,
        mqls: r.mqls,
        acceptedBySales: r.accepted,
        qualifiedBySales: r.qualified,
        rejectedBySales: r.rejected,
        awaitingSales: r.open,
        salRate: r.mqlToSal,
        sqlRate: r.mqlToSql,
      };
    })
    .sort((a, b) => compareText(a.criteria, b.criteria));
}

const reportLead = (l: CampaignLead, contacts?: Map<string, LeadContact>): ReportLead => ({
  leadId: l.leadId,
  contactId: l.contactId,
  name: contacts?.get(l.contactId)?.name ?? null,
  company: contacts?.get(l.contactId)?.company ?? null,
  campaignId: l.campaignId,
  qualifiedAt: l.qualifiedAt,
  stage: l.stage,
  criteria: criteriaVersionOf(l),
  reasons: l.reasons,
  clickedLink: l.trigger.linkUrl ?? null,
});

/** The MQL section of the campaigns' report; `delivered` (summed over the campaigns) is the MQL rate's denominator. */
export function mqlSection(inputs: ReportCampaignInput[], delivered: number, contacts?: Map<string, LeadContact>): Report['mqls'] {
  const leads = leadsOf(inputs);
  const all = new RateAccumulator();
  for (const lead of leads) all.add(lead);
  const r = all.row();
  return {
    count: leads.length,
    acceptedBySales: r.accepted,
    qualifiedBySales: r.qualified,
    rejectedBySales: r.rejected,
    awaitingSales: r.open,
    historical: r.historical,
    rate: ratio(leads.length, delivered),
    salRate: r.mqlToSal,
    salToSqlRate: r.salToSql,
    sqlRate: r.mqlToSql,
    byCriteria: criteriaRows(leads),
    speedToLead: speedToLeadByOwner(leads),
    leads: leads.map((l) => reportLead(l, contacts)),
  };
}
