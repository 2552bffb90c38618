import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../../lib/common/concurrency';
import { OutcomesNotRecordedError } from '../../lib/common/errors';
import type { ClaimAttempt, JobClaim, RecipientOutcome, RecipientResult, SendLedger, SendRecord } from '../../lib/sending/ports';
import { batchGetItems } from './batch-get';
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
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async claimJob(campaignId: string, jobId: string, { token, handedOver = [], at, leaseMs }: ClaimAttempt): Promise<JobClaim> {
    // The claim carries this attempt's token: if DynamoDB applied it but the answer was lost, the
    // SDK's retry of the identical request sees its own claim and succeeds, and a continuation the
    // token was handed to takes it at once, instead of waiting out a lease that it holds itself.
    const ours = [token, ...handedOver];
    const tokens = Object.fromEntries(ours.map((t, i) => [`:t${i}`, t]));
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.sendJob(campaignId, jobId),
          UpdateExpression: 'SET claimedAt = :now, claimToken = :t0',
          ConditionExpression: `attribute_not_exists(claimedAt) OR claimedAt < :expired OR claimToken IN (${Object.keys(tokens).join(', ')})`,
          ExpressionAttributeValues: { ':now': at.getTime(), ':expired': at.getTime() - leaseMs, ...tokens },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      const before = result.Attributes;
      return before?.claimedAt !== undefined && !ours.includes(String(before.claimToken)) ? 'taken-over' : 'claimed';
    } catch (error) {
      if (isConditionFailure(error)) return 'busy';
      throw error;
    }
  }

  async releaseJob(campaignId: string, jobId: string, tokens: string[]) {
    if (!tokens.length) return;
    const values = Object.fromEntries(tokens.map((t, i) => [`:t${i}`, t]));
    try {
      // An update, not a delete: the sender's role has no delete of any kind. Conditional, so a
      // late release never drops a claim another sender took over after the lease.
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.sendJob(campaignId, jobId),
          UpdateExpression: 'REMOVE claimedAt, claimToken',
          ConditionExpression: `claimToken IN (${Object.keys(values).join(', ')})`,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error; // released already (a retried request), or not ours
    }
  }

  async outcomes(campaignId: string, contactIds: string[]) {
    const out = new Map<string, RecipientResult>();
    const sendKeys = [...new Set(contactIds)].map((id) => keys.send(campaignId, id));
    for await (const item of batchGetItems(this.db, this.table, sendKeys, { ConsistentRead: true })) {
      const result = toResult(item);
      if (result) out.set(String(item.sk).slice('SEND#'.length), result);
    }
    return out;
  }

  async recordOutcomes(campaignId: string, outcomes: RecipientOutcome[]) {
    // One UpdateItem each (16 at once), not BatchWriteItem: that action also deletes, and the
    // sender's role may not delete anything. Same write units either way (one per recipient).
    // Every write is tried; those DynamoDB did not take are named in the error, so that a caller
    // carries on only those.
    const unrecorded: RecipientOutcome[] = [];
    let cause: unknown;
    await mapWithConcurrency(outcomes, 16, async (o) => {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: keys.send(campaignId, o.contactId),
            ...(o.state === 'sent'
              ? { UpdateExpression: 'SET sentAt = :at, messageId = :m', ExpressionAttributeValues: { ':at': o.at, ':m': o.messageId } }
              : {
                  UpdateExpression: 'SET failedAt = :at, failure = :r',
                  ExpressionAttributeValues: { ':at': o.at, ':r': o.reason.slice(0, 500) },
                }),
          }),
        );
      } catch (error) {
        unrecorded.push(o);
        cause ??= error;
      }
    });
    if (unrecorded.length) throw new OutcomesNotRecordedError(unrecorded, cause);
  }

  async records(refs: { campaignId: string; contactId: string }[]) {
    const out = new Map<string, SendRecord>();
    const unique = [...new Map(refs.map((r) => [`${r.campaignId}|${r.contactId}`, r])).values()];
    for await (const item of batchGetItems(
      this.db,
      this.table,
      unique.map((r) => keys.send(r.campaignId, r.contactId)),
    )) {
      const { pk, sk, ...record } = item;
      out.set(`${String(pk).slice('CAMPAIGN#'.length)}|${String(sk).slice('SEND#'.length)}`, record as SendRecord);
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
