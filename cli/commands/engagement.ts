import type { Command } from 'commander';
import type { CommandContext } from './context';

/** `mql engagement add`: engagement events from outside email, scored by qualification. */
export function addEngagementCommands(program: Command, { client, print, contactIdOf }: CommandContext): void {
  const engagement = program
    .command('engagement')
    .description('Engagement events posted through the API (webinar attended, pricing page viewed, …)');
  engagement
    .command('add')
    .description('Record an engagement event for a contact; it is scored and may qualify the contact')
    .argument('<contact>', 'contact id or email')
    .argument('<type>', 'e.g. webinar-attended, pricing-page-viewed, whitepaper-downloaded, trial-started')
    .option('--at <iso>', 'when it happened (now when absent; never in the future)')
    .option('--historical', 'accept an --at older than the freshness window (default 72 h): scored, but an MQL it makes alerts nobody')
    .option('--id <eventId>', 'your id for the event: posting it again records nothing new')
    .option('--campaign <campaignId>', 'attribute it to a campaign')
    .option('--criteria <criteriaId>', 'criteria to evaluate with when no campaign is named')
    .action(async (idOrEmail: string, type: string, o) => {
      const contactId = await contactIdOf(idOrEmail);
      const body = {
        type,
        ...(o.at ? { at: o.at } : {}),
        ...(o.id ? { eventId: o.id } : {}),
        ...(o.campaign ? { campaignId: o.campaign } : {}),
        ...(o.criteria ? { criteriaId: o.criteria } : {}),
        ...(o.historical ? { historical: true } : {}),
      };
      const r = await client().request<{ recorded: boolean; qualification: string; lead?: { leadId: string; owner: string } }>(
        'POST',
        `/contacts/${encodeURIComponent(contactId)}/engagement`,
        body,
      );
      print(
        r,
        () =>
          `${r.recorded ? 'recorded' : 'already recorded'}; qualification: ${r.qualification}${r.lead ? ` (lead ${r.lead.leadId}, owner ${r.lead.owner})` : ''}`,
      );
    });
}
