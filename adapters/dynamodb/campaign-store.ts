import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Campaign, CampaignStatus } from '../../lib/sending/campaign';
import type { CampaignStore } from '../../lib/sending/ports';
import type { Page } from '../../lib/common/ports';
import type { ProfileStore } from '../../lib/contacts/ports';
import type { IdealCustomerProfile } from '../../lib/qualification/profile';
import { cursorAfter, isConditionFailure, keys, listEntries, listQuery, lists, recordOf, startKeyOf } from './keys';

const strip = <T>(item: Record<string, unknown>): T => recordOf(item) as T;

export class DynamoCampaignStore implements CampaignStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(campaign: Campaign) {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...keys.campaign(campaign.campaignId), ...listEntries.campaign(campaign), ...campaign },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(campaignId: string) {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.campaign(campaignId) }));
    return result.Item ? strip<Campaign>(result.Item) : undefined;
  }

  async transition(campaignId: string, from: CampaignStatus[], to: CampaignStatus, extra: Partial<Campaign> = {}) {
    return this.setIfStatus(campaignId, { ...withoutKeys(extra), status: to }, from);
  }

  async update(campaignId: string, changes: Partial<Campaign>, onlyIf: CampaignStatus[]) {
    const fields = withoutKeys(changes);
    delete fields.status; // the status moves by transition only
    if (!Object.keys(fields).length) return true;
    return this.setIfStatus(campaignId, fields, onlyIf);
  }

  /** Sets the fields only while the campaign's status is one of `statuses`; false when it was not. */
  private async setIfStatus(campaignId: string, fields: Record<string, unknown>, statuses: CampaignStatus[]) {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    statuses.forEach((s, i) => {
      values[`:if${i}`] = s;
    });
    for (const [k, v] of Object.entries(fields)) {
      names[`#${k}`] = k;
      values[`:${k}`] = v;
      sets.push(`#${k} = :${k}`);
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.campaign(campaignId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(pk) AND #status IN (${statuses.map((_, i) => `:if${i}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async list(cursor?: string, limit = 50): Promise<Page<Campaign>> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        ...listQuery(lists.campaigns),
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKeyOf(cursor, { list: lists.campaigns }),
      }),
    );
    return { items: (result.Items ?? []).map((i) => strip<Campaign>(i)), cursor: cursorAfter(result.LastEvaluatedKey) };
  }

  async listCreatedBetween(start: string, end: string, cursor?: string): Promise<Page<Campaign>> {
    // The index key is `createdAt#campaignId`: `createdAt#…` sorts after `createdAt` and before `end`
    // unless createdAt ≥ end, so BETWEEN start AND end is [start, end).
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        ...listQuery(lists.campaigns, { from: start, to: end }),
        ExclusiveStartKey: startKeyOf(cursor, { list: lists.campaigns }),
      }),
    );
    return { items: (result.Items ?? []).map((i) => strip<Campaign>(i)), cursor: cursorAfter(result.LastEvaluatedKey) };
  }
}

export class DynamoProfileStore implements ProfileStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(profile: IdealCustomerProfile) {
    // Versions are immutable: writing an existing version fails.
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...keys.profile(profile.profileId, profile.version), ...profile },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(profileId: string, version?: number) {
    if (version !== undefined) {
      const result = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.profile(profileId, version) }));
      return result.Item ? strip<IdealCustomerProfile>(result.Item) : undefined;
    }
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': `PROFILE#${profileId}`, ':v': 'V#' },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = result.Items?.[0];
    return item ? strip<IdealCustomerProfile>(item) : undefined;
  }
}

/** The fields that may be set on a campaign item: never its id, never an undefined value. */
function withoutKeys(changes: Partial<Campaign>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(changes).filter(([k, v]) => v !== undefined && k !== 'campaignId'));
}
