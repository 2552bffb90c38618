import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { ConcurrentUpdateError, isRetryable } from '../../lib/common/errors';
import { sleepBackoff } from '../../lib/common/backoff';
import { anonymisedLead, type Lead, type LeadStage, type RejectionReason, type StageChange } from '../../lib/qualification/lead';
import type { DueFollowUp, LeadStore } from '../../lib/qualification/ports';
import { DynamoFollowUpIndex, followUpClaimAttributes } from './follow-up-index';
import type { Page } from '../../lib/common/ports';
import { batchGetItems } from './batch-get';
import { cursorAfter, isConditionFailure, keys, listEntries, listQuery, lists, recordOf, startKeyOf } from './keys';

const strip = (item: Record<string, unknown>): Lead =>
  recordOf(item, 'notifyClaimedAt', 'notifyClaimToken', 'notifyMessageId', ...followUpClaimAttributes) as unknown as Lead;

/** Leads of a campaign are in the listing index; a contact's leads without a campaign are not. */
const indexKeys = (lead: Lead) => (lead.campaignId ? listEntries.lead(lead.campaignId, lead) : {});

/**
 * One current lead item per contact (`CONTACT#id / LEAD`): the conditional put is what makes an MQL
 * once per lifecycle. When a closed lead's contact re-qualifies, the closed lead is first copied to
 * `LEAD#<lifecycle>` (same index keys, so campaign listings keep it), then replaced conditionally.
 */
export class DynamoLeadStore implements LeadStore {
  private readonly followUps: DynamoFollowUpIndex;
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    this.followUps = new DynamoFollowUpIndex(db, table);
  }

  listDueFollowUps = async (now: string): Promise<Page<DueFollowUp>> => ({ items: await this.followUps.listDue(now) });
  claimFollowUp = (due: DueFollowUp, at: Date, leaseMs: number) => this.followUps.claim(keys.lead(due.contactId), due, at, leaseMs);
  releaseFollowUp = (due: DueFollowUp) => this.followUps.release(keys.lead(due.contactId), due);
  markFollowUpSent = (due: DueFollowUp, messageId: string, at: string, newOwner?: string) =>
    this.followUps.markSent(keys.lead(due.contactId), due, messageId, at, newOwner);
  dropFollowUp = (due: DueFollowUp) => this.followUps.drop(due);

  async createIfAbsent(lead: Lead) {
    await this.followUps.put(lead);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.lead(lead.contactId), ...indexKeys(lead), ...lead },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async get(contactId: string) {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.lead(contactId), ConsistentRead: true }));
    return result.Item ? strip(result.Item) : undefined;
  }

  async listByCampaign(campaignId: string, cursor?: string): Promise<Page<Lead>> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        ...listQuery(lists.leadsOf(campaignId)),
        ExclusiveStartKey: startKeyOf(cursor, { list: lists.leadsOf(campaignId) }),
      }),
    );
    // An archived lifecycle and the item it was copied from share index keys while a replacement
    // is under way: they sort next to each other, so dropping the repeat here lists it once.
    const items = (result.Items ?? []).map(strip).filter((l, i, all) => i === 0 || all[i - 1]!.leadId !== l.leadId);
    return { items, cursor: cursorAfter(result.LastEvaluatedKey) };
  }

  async replaceClosed(lead: Lead, previous: Lead) {
    await this.followUps.put(lead);
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...keys.archivedLead(previous.contactId, previous.lifecycle ?? 1), ...indexKeys(previous), ...previous },
      }),
    );
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.lead(lead.contactId), ...indexKeys(lead), ...lead },
          ConditionExpression: 'leadId = :prev AND #stage = :stage',
          ExpressionAttributeNames: { '#stage': 'stage' },
          ExpressionAttributeValues: { ':prev': previous.leadId, ':stage': previous.stage },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getMany(contactIds: string[]) {
    const unique = [...new Set(contactIds)];
    const out: Lead[] = [];
    for await (const item of batchGetItems(
      this.db,
      this.table,
      unique.map((id) => keys.lead(id)),
      { ConsistentRead: true },
    ))
      out.push(strip(item));
    return out;
  }

  async rewriteNotes(lead: Lead, history: StageChange[]) {
    const current = await this.get(lead.contactId);
    const key = current?.leadId === lead.leadId ? keys.lead(lead.contactId) : keys.archivedLead(lead.contactId, lead.lifecycle ?? 1);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: 'SET stageHistory = :history',
          ConditionExpression: 'leadId = :id AND size(stageHistory) = :n',
          ExpressionAttributeValues: { ':history': history, ':id': lead.leadId, ':n': lead.stageHistory?.length ?? 0 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async updateStage(
    contactId: string,
    expected: { leadId: string; stage: LeadStage },
    change: { stage: LeadStage; entries: StageChange[]; rejectionReason?: RejectionReason | null; closedAt?: string | null },
  ) {
    const sets = ['#stage = :stage', 'stageHistory = list_append(if_not_exists(stageHistory, :empty), :entries)'];
    const removes: string[] = [];
    const values: Record<string, unknown> = {
      ':stage': change.stage,
      ':entries': change.entries,
      ':empty': [],
      ':id': expected.leadId,
      ':cur': expected.stage,
    };
    if (change.rejectionReason) {
      sets.push('rejectionReason = :reason');
      values[':reason'] = change.rejectionReason;
    }
    if (change.rejectionReason === null) removes.push('rejectionReason');
    if (change.closedAt) {
      sets.push('closedAt = :closed');
      values[':closed'] = change.closedAt;
    }
    if (change.closedAt === null) removes.push('closedAt');
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.lead(contactId),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: 'leadId = :id AND #stage = :cur',
          ExpressionAttributeNames: { '#stage': 'stage' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async claimNotification(contactId: string, at: Date, leaseMs: number) {
    // A token of this call, so that the SDK's retry of a claim whose response was lost recognises
    // its own claim (see DynamoSendLedger.claimJob): otherwise the notification would never be sent.
    // For the same reason the request is repeated, token and all, while DynamoDB fails to answer
    // (the SDK's own attempts can all fail): giving up after a write that landed would leave the
    // lead claimed, and the retried event would find it so and notify nobody.
    const claimToken = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: keys.lead(contactId),
            UpdateExpression: 'SET notifyClaimedAt = :now, notifyClaimToken = :token',
            ConditionExpression:
              'attribute_exists(pk) AND attribute_not_exists(notifiedAt) AND (attribute_not_exists(notifyClaimedAt) OR notifyClaimedAt < :expired OR notifyClaimToken = :token)',
            ExpressionAttributeValues: { ':now': at.getTime(), ':expired': at.getTime() - leaseMs, ':token': claimToken },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        if (attempt >= CLAIM_ATTEMPTS || !isRetryable(error)) throw error;
        await sleepBackoff(attempt, CLAIM_BACKOFF);
      }
    }
  }

  async markNotified(contactId: string, messageId: string, at: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.lead(contactId),
        UpdateExpression: 'SET notifiedAt = :at, notifyMessageId = :m',
        ExpressionAttributeValues: { ':at': at, ':m': messageId },
      }),
    );
  }

  async releaseNotification(contactId: string) {
    await this.db.send(new UpdateCommand({ TableName: this.table, Key: keys.lead(contactId), UpdateExpression: 'REMOVE notifyClaimedAt' }));
  }

  async markPublished(contactId: string, at: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.lead(contactId),
        UpdateExpression: 'SET publishedAt = if_not_exists(publishedAt, :at)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }

  async anonymise(contactId: string, at: string) {
    // Earlier lifecycles first, then the current lead (the answer says whether it had one).
    for (const archived of await this.earlierLifecycles(contactId)) {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.archivedLead(contactId, archived.lifecycle ?? 1), ...indexKeys(archived), ...anonymisedLead(archived, at) },
        }),
      );
    }
    const current = await this.get(contactId);
    if (!current) return false;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.lead(contactId), ...indexKeys(current), ...anonymisedLead(current, at) },
          // Only over the lead that was read: a concurrent stage change is not overwritten.
          ConditionExpression: 'leadId = :id AND #stage = :stage',
          ExpressionAttributeNames: { '#stage': 'stage' },
          ExpressionAttributeValues: { ':id': current.leadId, ':stage': current.stage },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new ConcurrentUpdateError(`the lead of ${contactId} changed while it was being anonymised; retry the erasure`);
    }
    return true;
  }

  async earlierLifecycles(contactId: string) {
    const r = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :l)',
        ExpressionAttributeValues: { ':pk': `CONTACT#${contactId}`, ':l': 'LEAD#' },
        ConsistentRead: true,
      }),
    );
    return (r.Items ?? []).map(strip);
  }
}

/** Requests of one notification claim (each with the SDK's own attempts) before the error is handed back. */
const CLAIM_ATTEMPTS = 4;
/** 200 ms, 800 ms, 3.2 s between them (attempt 1 is the first retry's). */
const CLAIM_BACKOFF = { baseMs: 50, factor: 4, jitter: 'none' } as const;
