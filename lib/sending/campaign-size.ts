import { ValidationError } from '../common/errors';
import type { Campaign } from './campaign';

/**
 * A campaign is one DynamoDB item, and an item holds at most 400 KB (attribute names and values,
 * UTF-8): https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html.
 * A campaign is accepted only while its item stays under this budget, measured as its JSON in UTF-8
 * (which counts every name and string, plus quotes), leaving 50 KB for what sending adds later
 * (summary, generation, link catalogue, timestamps). Over it the answer is 422 naming the largest
 * field, never a 500 from DynamoDB.
 */
export const CAMPAIGN_ITEM_BUDGET_BYTES = 350_000;

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');

/** Refuses a campaign whose stored item would not fit, naming the largest field and the limit. */
export function rejectOversizedCampaign(campaign: Campaign): void {
  const total = bytes(campaign);
  if (total <= CAMPAIGN_ITEM_BUDGET_BYTES) return;
  const fields = Object.entries(campaign).map(([field, value]) => ({ field, size: bytes(value) }));
  const largest = fields.sort((a, b) => b.size - a.size)[0]!;
  const message = `the campaign would take ${total} bytes, over the ${CAMPAIGN_ITEM_BUDGET_BYTES}-byte limit of a stored campaign (DynamoDB's 400 KB item); ${largest.field} alone takes ${largest.size} bytes`;
  throw new ValidationError(message, [
    {
      path: [largest.field],
      message: `too large: ${largest.size} bytes; the whole campaign must stay under ${CAMPAIGN_ITEM_BUDGET_BYTES} bytes`,
    },
  ]);
}
