import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { addCounters, type Counters, type RecipientEngagement } from '../../lib/engagement/recipient';
import type { CampaignDelta, EngagementStore, RecipientWrite, StoredRecipient } from '../../lib/engagement/ports';
import type { Page } from '../../lib/common/ports';
import { randomBytes } from 'node:crypto';
import { batchGetItems } from './batch-get';
import { encodePageCursor, isConditionFailure, keys, startKeyOf } from './keys';

/**
 * Recipient items hold the engagement state as compact JSON (`st`), a version (`v`) for optimistic
 * concurrency, and the deltas not yet known counted (`pd`). Campaign deltas are items of their own
 * in the campaign's partition; a campaign's counters are their sum (docs/engagement.md).
 */
/** Fold deltas into the checkpoint once this many can be. */
const CHECKPOINT_EVERY = 100;

/** A campaign's counters folded so far: through which delta id (`through`), the sums, and a version for the conditional write. */
type Checkpoint = { through?: string; c?: Counters; lu?: Record<string, string>; v?: number };

export const recipientKey = (campaignId: string, contactId: string) => `${campaignId}|${contactId}`;

export class DynamoEngagementStore implements EngagementStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** Items per Query when listing recipients; DynamoDB's 1 MB page when absent. */
    private readonly listPageSize?: number,
  ) {}

  async getRecipients(refs: { campaignId: string; contactId: string }[], options: { consistent?: boolean } = {}) {
    const out = new Map<string, StoredRecipient>();
    const unique = [...new Map(refs.map((r) => [recipientKey(r.campaignId, r.contactId), r])).values()];
    const recipientKeys = unique.map((r) => keys.recipient(r.campaignId, r.contactId));
    for await (const item of batchGetItems(this.db, this.table, recipientKeys, { ConsistentRead: options.consistent ?? true })) {
      const stored = fromItem(item);
      out.set(recipientKey(stored.state.campaignId, stored.state.contactId), stored);
    }
    return out;
  }

  async putRecipient(recipient: StoredRecipient, expectedVersion: number): Promise<RecipientWrite> {
    const { campaignId, contactId, ...state } = recipient.state;
    // The write carries a token of this call: when DynamoDB applied it but the response was lost,
    // the SDK's retry of the identical request finds its own write (the token, 48 random bits, is
    // this call's alone, so the item that holds it is this write) and succeeds, instead of reporting
    // a conflict for a write that is in fact ours.
    const writeToken = randomBytes(6).toString('base64url'); // short: it is stored on every recipient
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...keys.recipient(campaignId, contactId),
            v: recipient.version,
            wt: writeToken,
            st: JSON.stringify(state),
            pd: Object.keys(recipient.pending).length ? JSON.stringify(recipient.pending) : undefined,
          },
          ConditionExpression: `${expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'v = :expected'} OR wt = :token`,
          // A refusal then carries the item that won, saving the loser a strongly consistent read
          // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html).
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ExpressionAttributeValues: {
            ...(expectedVersion === 0 ? {} : { ':expected': expectedVersion }),
            ':token': writeToken,
          },
        }),
      );
      return { written: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The document client leaves the error's item in DynamoDB's own format; dynalite sends none.
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      return { written: false, current: item ? fromItem(unmarshall(item)) : undefined };
    }
  }

  async existingDeltas(refs: { campaignId: string; deltaId: string }[], contactId?: string) {
    const found = new Set<string>();
    const unique = [...new Map(refs.map((r) => [r.deltaId, r])).values()];
    const deltaKeys = unique.map((r) => keys.delta(r.campaignId, r.deltaId));
    for await (const item of batchGetItems(this.db, this.table, deltaKeys, { ConsistentRead: true, ProjectionExpression: 'sk, ex' })) {
      if (contactId && (item.ex as string[] | undefined)?.includes(contactId)) continue; // written, but not counting this recipient
      found.add(String(item.sk).slice('DELTA#'.length));
    }
    return found;
  }

  async putDelta(delta: CampaignDelta) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...keys.delta(delta.campaignId, delta.deltaId),
            c: delta.counters,
            lu: delta.linkUrls,
            at: delta.at,
            ...(delta.excluded?.length ? { ex: delta.excluded } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async campaignCounters(campaignId: string, options: { compactBefore?: string; maxDeltas?: number } = {}) {
    const checkpoint = (
      await this.db.send(new GetCommand({ TableName: this.table, Key: keys.checkpoint(campaignId), ConsistentRead: true }))
    ).Item as Checkpoint | undefined;
    const counters: Counters = addCounters({}, checkpoint?.c ?? {});
    const linkUrls: Record<string, string> = { ...(checkpoint?.lu ?? {}) };
    const after = `DELTA#${checkpoint?.through ?? ''}`;
    // Deltas sort by id, and ids by creation time: those before `compactBefore` form a prefix.
    const compactable: Counters = {};
    const compactableUrls: Record<string, string> = {};
    let compactedThrough: string | undefined;
    let compactedCount = 0;
    let startKey: Record<string, unknown> | undefined;
    let read = 0;
    let more = false; // a delta beyond the budget was seen
    const max = options.maxDeltas ?? Number.POSITIVE_INFINITY;
    do {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :after AND :end',
          ExpressionAttributeValues: { ':pk': `CAMPAIGN#${campaignId}`, ':after': after, ':end': 'DELTA#\uffff' },
          ProjectionExpression: 'sk, c, lu',
          ExclusiveStartKey: startKey,
          // One more than the rest of the budget, to learn whether a delta lies beyond it.
          ...(Number.isFinite(max) ? { Limit: max - read + 1 } : {}),
        }),
      );
      for (const item of result.Items ?? []) {
        if (item.sk === after) continue; // BETWEEN is inclusive; the checkpoint already holds it
        if (read >= max) {
          more = true;
          break;
        }
        read++;
        const deltaId = String(item.sk).slice('DELTA#'.length);
        addCounters(counters, (item.c ?? {}) as Counters);
        Object.assign(linkUrls, item.lu ?? {});
        if (options.compactBefore && deltaId < options.compactBefore) {
          addCounters(compactable, (item.c ?? {}) as Counters);
          Object.assign(compactableUrls, item.lu ?? {});
          compactedThrough = deltaId;
          compactedCount++;
        }
      }
      startKey = result.LastEvaluatedKey;
    } while (startKey && !more);

    if (compactedThrough && compactedCount >= CHECKPOINT_EVERY) {
      await this.putCheckpoint(campaignId, checkpoint, { through: compactedThrough, counters: compactable, linkUrls: compactableUrls });
    }
    return { counters, linkUrls, complete: !more };
  }

  /** Folds compacted deltas into the campaign's checkpoint, which then starts after `through`. */
  private async putCheckpoint(
    campaignId: string,
    checkpoint: Checkpoint | undefined,
    compacted: { through: string; counters: Counters; linkUrls: Record<string, string> },
  ) {
    const version = checkpoint?.v ?? 0;
    await this.db
      .send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...keys.checkpoint(campaignId),
            through: compacted.through,
            c: addCounters(addCounters({}, checkpoint?.c ?? {}), compacted.counters),
            lu: { ...(checkpoint?.lu ?? {}), ...compacted.linkUrls },
            v: version + 1,
          },
          // Two readers compacting at once: the first wins, the other's work is simply dropped.
          ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
          ExpressionAttributeValues: version === 0 ? undefined : { ':v': version },
        }),
      )
      .catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  /**
   * Every recipient the campaign was sent to, in contact-id order: the recipient items merged with
   * the sender's records (`SEND#`). A recipient whose only event so far is its Send has no recipient
   * item (its Send event was acknowledged without a write: docs/engagement.md), so it is listed from
   * its send record, as sent. Both ranges are read a page at a time in step (the send records up to
   * the last recipient item of the page); the cursor is the last contact id listed.
   */
  async listRecipients(campaignId: string, cursor?: string): Promise<Page<RecipientEngagement>> {
    const partition = `CAMPAIGN#${campaignId}`;
    const after = startKeyOf(cursor, { partition, sortPrefix: 'RCPT#' })?.sk?.slice('RCPT#'.length);
    const range = async (prefix: string, projection?: string, through?: string) => {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          // Strictly after the cursor's contact id: "\u0000" sorts before any character an id holds.
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': partition,
            ':from': `${prefix}${after === undefined ? '' : `${after}\u0000`}`,
            ':to': `${prefix}${through ?? '\uffff'}`,
          },
          ...(this.listPageSize ? { Limit: this.listPageSize } : {}),
          ...(projection ? { ProjectionExpression: projection } : {}),
        }),
      );
      const items = result.Items ?? [];
      const last = items.length ? String(items[items.length - 1]!.sk).slice(prefix.length) : undefined;
      return { items, more: Boolean(result.LastEvaluatedKey), last };
    };
    // The recipient items first, then the send records only as far as those reach: send records are
    // smaller, so a page of them read to the end would reach further, and what lay beyond the
    // recipient page's end would be read (and billed) again for the next page.
    const recipients = await range('RCPT#');
    const sends = await range('SEND#', 'sk, sentAt', recipients.more ? recipients.last : undefined);
    // Everything up to the smaller of the two pages' ends is known from both ranges.
    const ends = [recipients, sends].filter((r) => r.more && r.last !== undefined).map((r) => r.last!);
    const bound = ends.length ? ends.sort()[0] : undefined;
    const within = (id: string) => bound === undefined || id <= bound;
    const byContact = new Map<string, RecipientEngagement>();
    for (const item of sends.items) {
      const contactId = String(item.sk).slice('SEND#'.length);
      if (item.sentAt && within(contactId))
        byContact.set(contactId, { campaignId, contactId, seen: [], opens: [], clicks: [], sentAt: String(item.sentAt) });
    }
    for (const item of recipients.items) {
      const state = fromItem(item).state;
      if (!within(state.contactId)) continue;
      const recorded = byContact.get(state.contactId);
      byContact.set(state.contactId, recorded && !state.sentAt ? { ...state, sentAt: recorded.sentAt } : state);
    }
    // Code-unit order, as DynamoDB sorts the keys (localeCompare would not).
    const items = [...byContact.values()].sort((a, b) => (a.contactId < b.contactId ? -1 : a.contactId > b.contactId ? 1 : 0));
    return { items, cursor: bound === undefined ? undefined : encodePageCursor({ pk: partition, sk: `RCPT#${bound}` }) };
  }
}

function fromItem(item: Record<string, unknown>): StoredRecipient {
  const campaignId = String(item.pk).slice('CAMPAIGN#'.length);
  const contactId = String(item.sk).slice('RCPT#'.length);
  const state = JSON.parse(String(item.st)) as Omit<RecipientEngagement, 'campaignId' | 'contactId'>;
  return {
    state: { campaignId, contactId, ...state },
    version: Number(item.v),
    pending: item.pd ? JSON.parse(String(item.pd)) : {},
  };
}
