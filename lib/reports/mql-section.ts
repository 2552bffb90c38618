import type { Lead } from '../qualification/lead';
import { criteriaVersionOf, isAcceptedBySales, isRejectedBySales } from './lead-stages';
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

function criteriaRows(leads: CampaignLead[]): CriteriaVersionRow[] {
  const criteria = new Map<string, CriteriaVersionRow>();
  for (const lead of leads) {
    const key = criteriaVersionOf(lead);
    const row = criteria.get(key) ?? { criteria: key, mqls: 0, acceptedBySales: 0, rejectedBySales: 0, awaitingSales: 0, sqlRate: null };
    row.mqls++;
    if (isAcceptedBySales(lead)) row.acceptedBySales++;
    else if (isRejectedBySales(lead)) row.rejectedBySales++;
    else row.awaitingSales++;
    criteria.set(key, row);
  }
  return [...criteria.values()]
    .map((r) => ({ ...r, sqlRate: ratio(r.acceptedBySales, r.mqls) }))
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
  const accepted = leads.filter(isAcceptedBySales).length;
  const rejected = leads.filter(isRejectedBySales).length;
  return {
    count: leads.length,
    acceptedBySales: accepted,
    rejectedBySales: rejected,
    awaitingSales: leads.length - accepted - rejected,
    rate: ratio(leads.length, delivered),
    sqlRate: ratio(accepted, leads.length),
    byCriteria: criteriaRows(leads),
    leads: leads.map((l) => reportLead(l, contacts)),
  };
}
