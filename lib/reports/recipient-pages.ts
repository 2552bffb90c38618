import { chunk, mapWithConcurrency } from '../common/concurrency';
import type { Page } from '../common/ports';
import type { ContactStore } from '../contacts/ports';
import type { MachineRules } from '../engagement/machine-activity';
import type { EngagementStore } from '../engagement/ports';
import type { RecipientEngagement } from '../engagement/recipient';
import type { ReportCampaignInput } from './report';
import { recipientRow, type CsvCell } from './render-csv';

/**
 * Recipient rows a page at a time, campaign after campaign: each DynamoDB page, its contacts' emails
 * (BatchGetItems of 100, eight in flight), then the rows. Pulled by the upload, one page ahead: the
 * next page's listing starts as soon as the current page's cursor is known, and its emails are read
 * while the current page is written. So reading (DynamoDB) and writing (S3) wait at the same time,
 * not one after the other (docs/reports.md, "Streaming and memory"), and memory holds at most three
 * pages: the one being written, the next, and the listing after it.
 */
export async function* recipientPages(
  deps: { engagement: EngagementStore; contacts: ContactStore; rules: MachineRules },
  inputs: ReportCampaignInput[],
): AsyncGenerator<CsvCell[][]> {
  for (const { campaign, leads } of inputs) {
    // A contact that qualified twice from this campaign (a later lifecycle) shows its latest lead.
    const leadOf = new Map([...leads].sort((a, b) => a.lifecycle - b.lifecycle).map((l) => [l.contactId, l]));
    type Loading = { listed: Promise<Page<RecipientEngagement>>; rows: Promise<CsvCell[][]> };
    const load = (cursor?: string): Loading => {
      const listed = deps.engagement.listRecipients(campaign.campaignId, cursor);
      const rows = listed.then(async (page) => {
        const found = await mapWithConcurrency(
          chunk(
            page.items.map((r) => r.contactId),
            100,
          ),
          8,
          (ids) => deps.contacts.emailsOf(ids),
        );
        const emails = new Map(found.flatMap((m) => [...m]));
        return page.items.map((r) => recipientRow(r, emails.get(r.contactId), leadOf.get(r.contactId), deps.rules));
      });
      // Awaited below; a read-ahead that fails after the report has already failed must not be an unhandled rejection.
      rows.catch(() => {});
      return { listed, rows };
    };
    let current: Loading | undefined = load();
    while (current) {
      const { cursor }: { cursor?: string } = await current.listed;
      const next: Loading | undefined = cursor ? load(cursor) : undefined;
      yield await current.rows;
      current = next;
    }
  }
}
