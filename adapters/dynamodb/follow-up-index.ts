import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { Lead } from '../../lib/qualification/lead';
import type { DueFollowUp } from '../../lib/qualification/ports';
import { isRetryable } from '../../lib/common/errors';
import { sleepBackoff } from '../../lib/common/backoff';
import { isConditionFailure, listQuery } from './keys';
import { tableKeys } from './table-schema';

/**
 * Speed-to-lead's due index (docs/architecture.md, "Data model"): each follow-up of a fresh lead is
 * an item `CONTACT#<id> / FOLLOWUP#<kind>` listed in gsi1 under `FOLLOWUP#<yyyy-mm-dd of when it is
 * due>`, placed by `<due time>#<contactId>`. The scheduled sender Queries the day buckets of the
 * last `LOOKBACK_DAYS` up to now: a Query per day, never a scan; a sent or answered follow-up's item
 * is deleted, so the buckets hold only what is still to do.
 */
const LOOKBACK_DAYS = 8;
const DAY_MS = 86_400_000;
const { gsi1 } = tableKeys;
const bucket = (at: string) => `FOLLOWUP#${at.slice(0, 10)}`;
const claimAttrs = { reminder: ['reminderClaimedAt', 'reminderClaimToken'], escalation: ['escalationClaimedAt', 'escalationClaimToken'] };
export const followUpClaimAttributes = [...claimAttrs.reminder, ...claimAttrs.escalation, 'reminderMessageId', 'escalationMessageId'];

export function followUpItems(lead: Lead) {
  if (!lead.followUp) return [];
  return (
    [
      ['reminder', lead.followUp.remindAt],
      ['escalation', lead.followUp.dueAt],
    ] as const
  ).map(([kind, at]) => ({
    pk: `CONTACT#${lead.contactId}`,
    sk: `FOLLOWUP#${kind}`,
    [gsi1.partitionKey]: bucket(at),
    [gsi1.sortKey]: `${at}#${lead.contactId}`,
    contactId: lead.contactId,
    leadId: lead.leadId,
    kind,
    at,
  }));
}

export class DynamoFollowUpIndex {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Written before the lead itself: a lead never exists without its follow-ups (an orphan is dropped when met). */
  async put(lead: Lead) {
    for (const Item of followUpItems(lead)) await this.db.send(new PutCommand({ TableName: this.table, Item }));
  }

  async listDue(now: string): Promise<DueFollowUp[]> {
    const out: DueFollowUp[] = [];
    for (let d = LOOKBACK_DAYS - 1; d >= 0; d--) {
      const day = new Date(Date.parse(now) - d * DAY_MS).toISOString();
      const q = listQuery(bucket(day), { from: '', to: `${now}#\uffff` });
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const r = await this.db.send(new QueryCommand({ TableName: this.table, ...q, ExclusiveStartKey }));
        for (const i of r.Items ?? []) out.push({ contactId: i.contactId, leadId: i.leadId, kind: i.kind, at: i.at });
        ExclusiveStartKey = r.LastEvaluatedKey;
      } while (ExclusiveStartKey);
    }
    return out;
  }

  async drop(due: DueFollowUp) {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: `CONTACT#${due.contactId}`, sk: `FOLLOWUP#${due.kind}` },
          ConditionExpression: 'leadId = :id',
          ExpressionAttributeValues: { ':id': due.leadId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error; // a newer lifecycle's follow-up stays
    }
  }

  /** The claim on the lead item, with a token so that the SDK's retry of a lost answer finds its own claim. */
  async claim(leadKey: Record<string, string>, due: DueFollowUp, at: Date, leaseMs: number) {
    const [claimedAt, token] = claimAttrs[due.kind];
    const sent = due.kind === 'reminder' ? 'remindedAt' : 'escalatedAt';
    const claimToken = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: leadKey,
            UpdateExpression: `SET ${claimedAt} = :now, ${token} = :token`,
            ConditionExpression: `leadId = :id AND #stage = :mql AND attribute_not_exists(followUp.${sent}) AND (attribute_not_exists(${claimedAt}) OR ${claimedAt} < :expired OR ${token} = :token)`,
            ExpressionAttributeNames: { '#stage': 'stage' },
            ExpressionAttributeValues: {
              ':now': at.getTime(),
              ':expired': at.getTime() - leaseMs,
              ':token': claimToken,
              ':id': due.leadId,
              ':mql': 'mql',
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        if (attempt >= 4 || !isRetryable(error)) throw error;
        await sleepBackoff(attempt, { baseMs: 50, factor: 4, jitter: 'none' });
      }
    }
  }

  async release(leadKey: Record<string, string>, due: DueFollowUp) {
    await this.db.send(new UpdateCommand({ TableName: this.table, Key: leadKey, UpdateExpression: `REMOVE ${claimAttrs[due.kind][0]}` }));
  }

  async markSent(leadKey: Record<string, string>, due: DueFollowUp, messageId: string, at: string, newOwner?: string) {
    const sent = due.kind === 'reminder' ? 'remindedAt' : 'escalatedAt';
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: leadKey,
        UpdateExpression: `SET followUp.${sent} = :at, ${due.kind}MessageId = :m${newOwner ? ', #owner = :owner' : ''}`,
        ...(newOwner ? { ExpressionAttributeNames: { '#owner': 'owner' } } : {}),
        ExpressionAttributeValues: { ':at': at, ':m': messageId, ...(newOwner ? { ':owner': newOwner } : {}) },
      }),
    );
  }
}
