import { GetCommand, PutCommand, UpdateCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AudiencePage, ClaimAttempt, JobOutcome, SendProgressStore } from '../../lib/sending/ports';
import { batchGetItems } from './batch-get';
import { isConditionFailure, keys } from './keys';

const strip = <T>(item: Record<string, unknown>): T => {
  const { pk, sk, queuingGeneration, queuingAt, queuingToken, queuedGeneration, ...rest } = item;
  return rest as T;
};

/** Audience pages, job outcomes and the finished-job counter, in the campaign's partition. */
export class DynamoSendProgressStore implements SendProgressStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async recordPage(campaignId: string, page: AudiencePage) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.audiencePage(campaignId, page.page), ...page },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return page;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return (await this.getPage(campaignId, page.page))!; // another copy of this fan-out recorded it first
    }
  }

  async getPage(campaignId: string, page: number) {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.audiencePage(campaignId, page), ConsistentRead: true }),
    );
    return Item ? strip<AudiencePage>(Item) : undefined;
  }

  async claimPageQueuing(campaignId: string, page: number, generation: number, { token, handedOver = [], at, leaseMs }: ClaimAttempt) {
    // As a job claim: this attempt's token lets the SDK's retry of a write whose answer was lost,
    // and a continuation it was handed to, take the claim without waiting out the lease.
    const tokens = Object.fromEntries([token, ...handedOver].map((t, i) => [`:t${i}`, t]));
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.audiencePage(campaignId, page),
          UpdateExpression: 'SET queuingGeneration = :g, queuingAt = :now, queuingToken = :t0',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(queuedGeneration) OR queuedGeneration <> :g) AND ' +
            `(attribute_not_exists(queuingGeneration) OR queuingGeneration <> :g OR queuingAt < :expired OR queuingToken IN (${Object.keys(tokens).join(', ')}))`,
          ExpressionAttributeValues: { ':g': generation, ':now': at.getTime(), ':expired': at.getTime() - leaseMs, ...tokens },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markPageQueued(campaignId: string, page: number, generation: number) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.audiencePage(campaignId, page),
        UpdateExpression: 'SET queuedGeneration = :g',
        ExpressionAttributeValues: { ':g': generation },
      }),
    );
  }

  async recordJobOutcome(campaignId: string, outcome: JobOutcome) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.jobOutcome(campaignId, outcome.jobId), ...outcome },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async jobsWithOutcome(campaignId: string, jobIds: string[]) {
    const found = new Set<string>();
    const outcomeKeys = jobIds.map((id) => keys.jobOutcome(campaignId, id));
    for await (const item of batchGetItems(this.db, this.table, outcomeKeys, { ProjectionExpression: 'jobId' }))
      found.add(String(item.jobId));
    return found;
  }

  async jobOutcomes(campaignId: string) {
    const out: JobOutcome[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :job)',
        ExpressionAttributeValues: { ':pk': `CAMPAIGN#${campaignId}`, ':job': 'JOB#' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) out.push(strip<JobOutcome>(item));
    return out;
  }

  async setJobTotal(campaignId: string, jobs: number) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.sendProgress(campaignId),
        UpdateExpression: 'SET jobs = :j',
        ExpressionAttributeValues: { ':j': jobs },
      }),
    );
  }

  async countFinishedJob(campaignId: string) {
    const result = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.sendProgress(campaignId),
        UpdateExpression: 'ADD finished :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const a = result.Attributes ?? {};
    return { finished: Number(a.finished ?? 0), jobs: a.jobs === undefined ? undefined : Number(a.jobs) };
  }
}
