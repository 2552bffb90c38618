import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCriteriaStore } from '../../adapters/dynamodb/criteria-store';
import { DynamoReviewMailLog } from '../../adapters/dynamodb/review-mail-log';
import { approveCriteria } from '../../lib/qualification/approvals';
import { createCriteria, editDraft, publishCriteria } from '../../lib/qualification/manage-criteria';
import { startDynamo } from '../support/dynamo';

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
beforeAll(async () => {
  dynamo = await startDynamo('mql-review');
});
afterAll(async () => dynamo.stop());

describe('review adapters on dynalite, through the real SDK', () => {
  it('two reviewers approving at once both count; an edit drops them; publishing keeps who and when on the version', async () => {
    const criteria = new DynamoCriteriaStore(dynamo.db, dynamo.tableName);
    const deps = { criteria, clock: { now: () => new Date('2026-04-02T09:00:00.000Z') } };
    await createCriteria(deps, { name: 'ICP', approval: { required: true } }, { criteriaId: 'icp_signed' });
    await Promise.all([
      approveCriteria(deps, 'icp_signed', { side: 'marketing', by: 'mia', revision: 1 }),
      approveCriteria(deps, 'icp_signed', { side: 'sales', by: 'sam', revision: 1 }),
    ]);
    expect(Object.keys((await criteria.getDraft('icp_signed'))!.approvals ?? {}).sort()).toEqual(['marketing', 'sales']);
    // An approval of a revision the draft has left is refused by the store's condition.
    expect(await criteria.recordApproval('icp_signed', { side: 'sales', by: 'sam', at: '2026-04-02T09:00:00.000Z', revision: 9 })).toBe(
      false,
    );
    const { version } = await publishCriteria(deps, 'icp_signed');
    expect(version.approvals?.map((a) => a.by)).toEqual(['mia', 'sam']);
    expect((await criteria.getVersion('icp_signed', 1))!.approvals).toHaveLength(2);
    await editDraft(deps, 'icp_signed', { name: 'ICP v2', approval: { required: true } });
    expect((await criteria.getDraft('icp_signed'))!.approvals).toBeUndefined();
    await expect(publishCriteria(deps, 'icp_signed')).rejects.toThrow(/lacks marketing and sales approval/);
    const listed = (await criteria.list()).items.find((d) => d.criteriaId === 'icp_signed')!;
    expect(Object.keys(listed).filter((k) => k.startsWith('approval_'))).toEqual([]);
  });

  it('a review email is claimed once, taken over only after the lease, and never again once sent', async () => {
    const log = new DynamoReviewMailLog(dynamo.db, dynamo.tableName);
    const at = new Date('2026-04-01T06:00:00.000Z');
    const key = 'icp|2026-01-01_2026-03-31|sales@acme.example';
    expect(await log.claim(key, at, 600_000)).toBe(true);
    expect(await log.claim(key, new Date(at.getTime() + 1000), 600_000)).toBe(false);
    await log.release(key);
    expect(await log.claim(key, new Date(at.getTime() + 2000), 600_000)).toBe(true);
    expect(await log.claim(key, new Date(at.getTime() + 700_000), 600_000)).toBe(true); // the first run died: taken over
    await log.markSent(key, 'msg-1', at.toISOString());
    expect(await log.claim(key, new Date(at.getTime() + 9_000_000), 600_000)).toBe(false);
    await log.release(key); // no effect once sent
    expect(await log.claim(key, new Date(at.getTime() + 9_000_000), 600_000)).toBe(false);
  });
});
