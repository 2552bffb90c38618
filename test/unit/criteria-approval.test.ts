import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../lib/common/errors';
import { approveCriteria } from '../../lib/qualification/approvals';
import { createCriteria, editDraft, getCriteria, publishCriteria } from '../../lib/qualification/manage-criteria';
import { MemoryCriteria } from '../support/memory-qualification';

function setup() {
  let t = Date.parse('2026-04-02T09:00:00.000Z');
  const deps = {
    criteria: new MemoryCriteria(),
    clock: {
      now: () => {
        t += 60_000;
        return new Date(t);
      },
    },
  };
  return deps;
}
const signed = { name: 'ICP', approval: { required: true } };

describe('both sides sign the definition', () => {
  it('refuses to publish (409) until marketing and sales approved the revision, then keeps who and when on the version', async () => {
    const deps = setup();
    await createCriteria(deps, signed, { criteriaId: 'icp' });
    await expect(publishCriteria(deps, 'icp')).rejects.toThrow(ConflictError);
    await expect(publishCriteria(deps, 'icp')).rejects.toThrow(/lacks marketing and sales approval/);
    const m = await approveCriteria(deps, 'icp', { side: 'marketing', by: 'mia@acme.example', revision: 1 });
    expect(m.missing).toEqual(['sales']);
    await expect(publishCriteria(deps, 'icp')).rejects.toThrow(/lacks sales approval/);
    const s = await approveCriteria(deps, 'icp', { side: 'sales', by: 'sam@acme.example', revision: 1 });
    expect(s.missing).toEqual([]);
    const { version, published } = await publishCriteria(deps, 'icp');
    expect(published).toBe(true);
    expect(version.approvals?.map((a) => [a.side, a.by, a.revision])).toEqual([
      ['marketing', 'mia@acme.example', 1],
      ['sales', 'sam@acme.example', 1],
    ]);
    expect(version.approvals!.every((a) => /^2026-04-02T09:0\d:00.000Z$/.test(a.at))).toBe(true);
    const summary = await getCriteria(deps, 'icp');
    expect(summary.versions[0]!.approvals).toHaveLength(2);
  });

  it('an edit voids the approvals; switching the requirement off needs them too', async () => {
    const deps = setup();
    await createCriteria(deps, signed, { criteriaId: 'icp' });
    await approveCriteria(deps, 'icp', { side: 'marketing', by: 'mia', revision: 1 });
    await approveCriteria(deps, 'icp', { side: 'sales', by: 'sam', revision: 1 });
    await editDraft(deps, 'icp', { ...signed, description: 'changed after signing' });
    await expect(publishCriteria(deps, 'icp')).rejects.toThrow(/revision 2 lacks marketing and sales approval/);
    await approveCriteria(deps, 'icp', { side: 'marketing', by: 'mia', revision: 2 });
    await approveCriteria(deps, 'icp', { side: 'sales', by: 'sam', revision: 2 });
    expect((await publishCriteria(deps, 'icp')).version.version).toBe(1);
    await editDraft(deps, 'icp', { name: 'ICP', approval: { required: false } });
    await expect(publishCriteria(deps, 'icp')).rejects.toThrow(/requires approval/);
  });

  it('refuses a stale revision (409), one reviewer for both sides (422), and bad input (422); a repeated approval is kept once', async () => {
    const deps = setup();
    await createCriteria(deps, signed, { criteriaId: 'icp' });
    await expect(approveCriteria(deps, 'icp', { side: 'sales', by: 'sam', revision: 7 })).rejects.toThrow(ConflictError);
    const first = await approveCriteria(deps, 'icp', { side: 'marketing', by: 'Mia', revision: 1 });
    const again = await approveCriteria(deps, 'icp', { side: 'marketing', by: 'Mia', revision: 1 });
    expect(again.approvals).toEqual(first.approvals);
    await expect(approveCriteria(deps, 'icp', { side: 'sales', by: 'mia', revision: 1 })).rejects.toThrow(/two reviewers/);
    await expect(approveCriteria(deps, 'icp', { side: 'finance', by: 'x', revision: 1 })).rejects.toThrow(ValidationError);
    await expect(approveCriteria(deps, 'nope', { side: 'sales', by: 'x', revision: 1 })).rejects.toThrow(/does not exist/);
  });

  it('sets without the requirement publish as before', async () => {
    const deps = setup();
    await createCriteria(deps, { name: 'plain' }, { criteriaId: 'plain' });
    const { version } = await publishCriteria(deps, 'plain');
    expect(version.approvals).toBeUndefined();
  });
});
