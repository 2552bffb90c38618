import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SentFacts, SentRecords } from '../../lib/engagement/ports';
import { batchGetItems } from './batch-get';
import { keys } from './keys';

/**
 * The campaigns and send records a batch of SES events names, in one BatchGetItem (100 keys a call):
 * `CAMPAIGN#id / META` once per campaign and `CAMPAIGN#id / SEND#contactId` once per recipient.
 * Eventually consistent (half the read units): a send record just written and not yet visible makes
 * its events wait and come back, which is safe.
 */
export class DynamoSentRecords implements SentRecords {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async factsFor(refs: { campaignId: string; contactId: string }[]): Promise<SentFacts> {
    const campaignIds = [...new Set(refs.map((r) => r.campaignId))];
    const sendKeys = [...new Map(refs.map((r) => [`${r.campaignId}|${r.contactId}`, keys.send(r.campaignId, r.contactId)])).values()];
    const facts: SentFacts = { campaigns: new Map(), sends: new Map() };
    const items = batchGetItems(this.db, this.table, [...campaignIds.map((id) => keys.campaign(id)), ...sendKeys], {
      ProjectionExpression: 'pk, sk, #status, createdAt, sendRequestedAt, messageId, sentAt, failedAt',
      ExpressionAttributeNames: { '#status': 'status' },
    });
    for await (const item of items) {
      const campaignId = String(item.pk).slice('CAMPAIGN#'.length);
      const sk = String(item.sk);
      if (sk === 'META') {
        facts.campaigns.set(campaignId, {
          status: String(item.status),
          createdAt: String(item.createdAt),
          ...(item.sendRequestedAt ? { sendRequestedAt: String(item.sendRequestedAt) } : {}),
        });
      } else if (item.sentAt || item.failedAt) {
        facts.sends.set(`${campaignId}|${sk.slice('SEND#'.length)}`, {
          ...(item.messageId ? { messageId: String(item.messageId) } : {}),
          ...(item.sentAt ? { sentAt: String(item.sentAt) } : {}),
          failed: !item.sentAt && Boolean(item.failedAt),
        });
      }
    }
    return facts;
  }
}
