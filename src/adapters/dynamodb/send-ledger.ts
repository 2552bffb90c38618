import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { chunk, mapWithConcurrency } from '../../lib/concurrency';
import type { JobClaim, RecipientOutcome, RecipientResult, SendLedger, SendRecord } from '../../lib/ports';
import { isConditionFailure, keys } from './keys';

function toResult(item: Record<string, unknown>): RecipientResult | undefined {
  if (item.sentAt) return { state: 'sent', messageId: String(item.messageId) };
  if (item.failedAt) return { state: 'failed', reason: String(item.failure) };
  return undefined;
}

/**
 * Job claims (`SENDJOB#<jobId>`, one conditional write per job) and one outcome item per
 * recipient (`SEND#<contactId>`: `sentAt` with SES's message id, or `failedAt` with the reason).
 */
export class DynamoSendLedger implements SendLedger {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly table: string) {}

  async claimJob(campaignId: string, jobId: string, at: Date, leaseMs: number): Promise<JobClaim> {
    // The claim carries a token of this call: if DynamoDB applied it but the answer was lost, the
    // SDK's retry of the identical request sees its own claim and succeeds, instead of waiting out
    // a lease that it holds itself.
    const claimToken = randomUUID();
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.sendJob(campaignId, jobId),
          UpdateExpression: 'SET claimedAt = :now, claimToken = :token',
          ConditionExpression: 'attribute_not_exists(claimedAt) OR claimedAt < :expired OR claimToken = :token',
          ExpressionAttributeValues: { ':now': at.getTime(), ':expired': at.getTime() - leaseMs, ':token': claimToken },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      const before = result.Attributes;
      return before?.claimedAt !== undefined && before.claimToken !== claimToken ? 'taken-over' : 'claimed';
    } catch (error) {
      if (isConditionFailure(error)) return 'busy';
      throw error;
    }
  }

  async releaseJob(campaignId: string, jobId: string) {
    // An update, not a delete: the sender's role has no delete of any kind.
    await this.db.send(
      new UpdateCommand({ TableName: this.table, Key: keys.sendJob(campaignId, jobId), UpdateExpression: 'REMOVE claimedAt, claimToken' }),
    );
  }

  async outcomes(campaignId: string, contactIds: string[]) {
    const out = new Map<string, RecipientResult>();
    for (const part of chunk([...new Set(contactIds)], 100)) {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
        [this.table]: { Keys: part.map((id) => keys.send(campaignId, id)), ConsistentRead: true },
      };
      while (request && Object.keys(request).length) {
        const result = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.table] ?? []) {
          const result = toResult(item);
          if (result) out.set(String(item.sk).slice('SEND#'.length), result);
        }
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return out;
  }

  async recordOutcomes(campaignId: string, outcomes: RecipientOutcome[]) {
    // One UpdateItem each (16 at once), not BatchWriteItem: that action also deletes, and the
    // sender's role may not delete anything. Same write units either way (one per recipient).
    await mapWithConcurrency(outcomes, 16, (o) =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.send(campaignId, o.contactId),
          ...(o.state === 'sent'
            ? { UpdateExpression: 'SET sentAt = :at, messageId = :m', ExpressionAttributeValues: { ':at': o.at, ':m': o.messageId } }
            : { UpdateExpression: 'SET failedAt = :at, failure = :r', ExpressionAttributeValues: { ':at': o.at, ':r': o.reason.slice(0, 500) } }),
        }),
      ),
    );
  }

  async records(refs: { campaignId: string; contactId: string }[]) {
    const out = new Map<string, SendRecord>();
    const unique = [...new Map(refs.map((r) => [`${r.campaignId}|${r.contactId}`, r])).values()];
    for (const part of chunk(unique, 100)) {
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [this.table]: { Keys: part.map((r) => keys.send(r.campaignId, r.contactId)) },
      };
      while (request && Object.keys(request).length) {
        const result = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.table] ?? []) {
          const { pk, sk, ...record } = item;
          out.set(`${String(pk).slice('CAMPAIGN#'.length)}|${String(sk).slice('SEND#'.length)}`, record as SendRecord);
        }
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return out;
  }

  async forget(campaignId: string, contactId: string) {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.send(campaignId, contactId),
          UpdateExpression: 'REMOVE messageId, failure',
          ConditionExpression: 'attribute_exists(pk)',
        }),
      )
      .catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
  }
}
