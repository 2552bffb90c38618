import { GetCommand, PutCommand, QueryCommand, UpdateCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CriteriaStore } from '../../lib/qualification/ports';
import type { Page } from '../../lib/common/ports';
import { approvalSides, type Approval, type CriteriaDraft, type CriteriaVersion } from '../../lib/qualification/criteria';
import { cursorAfter, isConditionFailure, keys, listEntries, listQuery, lists, recordOf, startKeyOf } from './keys';

const strip = <T>(item: Record<string, unknown>): T => recordOf(item) as T;
/** Each side's approval is an attribute of its own (`approval_marketing`, `approval_sales`), so two reviewers never overwrite each other. */
const approvalAttribute = (side: string) => `approval_${side}`;
function draftOf(item: Record<string, unknown>): CriteriaDraft {
  const draft = strip<CriteriaDraft & Record<string, unknown>>(item);
  const approvals: CriteriaDraft['approvals'] = {};
  for (const side of approvalSides) {
    const a = draft[approvalAttribute(side)] as Approval | undefined;
    delete draft[approvalAttribute(side)];
    if (a) approvals[side] = a;
  }
  return Object.keys(approvals).length ? { ...draft, approvals } : draft;
}
/** A draft as written by a put: approvals are not part of it (an edit or a publication ends them). */
const draftItem = ({ approvals: _approvals, ...draft }: CriteriaDraft) => ({
  ...keys.criteriaDraft(draft.criteriaId),
  ...listEntries.criteria(draft),
  ...draft,
});

/**
 * Criteria sets: `CRITERIA#id / DRAFT` (edited under a revision check, in the listing index) and
 * `CRITERIA#id / V#000001…` (immutable: written once by a conditional put).
 */
export class DynamoCriteriaStore implements CriteriaStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * A conditional put that recognises its own write: when the SDK retries a put whose response was
   * lost, the retry fails the condition although the first attempt took effect. `mine` reads the
   * stored item back to tell that apart from a real conflict.
   */
  private async conditionalPut(
    item: Record<string, unknown>,
    condition: string,
    values: Record<string, unknown> | undefined,
    mine: (stored: Record<string, unknown>) => boolean,
  ) {
    try {
      await this.db.send(
        new PutCommand({ TableName: this.table, Item: item, ConditionExpression: condition, ExpressionAttributeValues: values }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const stored = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }));
      return Boolean(stored.Item && mine(stored.Item));
    }
  }

  createDraft(draft: CriteriaDraft) {
    const item = draftItem(draft);
    return this.conditionalPut(
      item,
      'attribute_not_exists(pk)',
      undefined,
      (d) => d.revision === draft.revision && d.updatedAt === draft.updatedAt,
    );
  }

  async getDraft(criteriaId: string) {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.criteriaDraft(criteriaId), ConsistentRead: true }));
    return r.Item ? draftOf(r.Item) : undefined;
  }

  async recordApproval(criteriaId: string, approval: Approval) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.criteriaDraft(criteriaId),
          UpdateExpression: 'SET #a = :a',
          ConditionExpression: 'revision = :r',
          ExpressionAttributeNames: { '#a': approvalAttribute(approval.side) },
          ExpressionAttributeValues: { ':a': approval, ':r': approval.revision },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  }

  saveDraft(draft: CriteriaDraft, expectedRevision: number) {
    const item = draftItem(draft);
    return this.conditionalPut(
      item,
      'revision = :r',
      { ':r': expectedRevision },
      (d) => d.revision === draft.revision && d.updatedAt === draft.updatedAt && d.publishedRevision === draft.publishedRevision,
    );
  }

  putVersion(version: CriteriaVersion) {
    return this.conditionalPut(
      { ...keys.criteriaVersion(version.criteriaId, version.version), ...version },
      'attribute_not_exists(pk)',
      undefined,
      (v) => v.fromRevision === version.fromRevision && v.publishedAt === version.publishedAt,
    );
  }

  async getVersion(criteriaId: string, version?: number) {
    if (version !== undefined) {
      const r = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.criteriaVersion(criteriaId, version) }));
      return r.Item ? strip<CriteriaVersion>(r.Item) : undefined;
    }
    const r = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': `CRITERIA#${criteriaId}`, ':v': 'V#' },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return r.Items?.[0] ? strip<CriteriaVersion>(r.Items[0]) : undefined;
  }

  async listVersions(criteriaId: string) {
    const out: CriteriaVersion[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': `CRITERIA#${criteriaId}`, ':v': 'V#' },
      },
    );
    for await (const page of pages) out.push(...(page.Items ?? []).map((i) => strip<CriteriaVersion>(i)));
    return out;
  }

  async list(cursor?: string): Promise<Page<CriteriaDraft>> {
    const r = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        ...listQuery(lists.criteria),
        ScanIndexForward: false,
        Limit: 50,
        ExclusiveStartKey: startKeyOf(cursor, { list: lists.criteria }),
      }),
    );
    return { items: (r.Items ?? []).map(draftOf), cursor: cursorAfter(r.LastEvaluatedKey) };
  }

  async getDefault() {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.criteriaDefault(), ConsistentRead: true }));
    return r.Item?.criteriaId as string | undefined;
  }

  setDefault(criteriaId: string, onlyIfUnset: boolean) {
    return this.conditionalPut(
      { ...keys.criteriaDefault(), criteriaId },
      onlyIfUnset ? 'attribute_not_exists(pk)' : 'attribute_not_exists(pk) OR attribute_exists(pk)',
      undefined,
      (d) => d.criteriaId === criteriaId,
    );
  }
}
