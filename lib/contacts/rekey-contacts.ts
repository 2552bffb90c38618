import type { ContactIds } from '../common/ids';
import { ConflictError } from '../common/errors';
import type { ReportStore } from '../reports/ports';
import { rekeyReports } from '../reports/rekey-reports';
import type { CampaignStore } from '../sending/ports';
import type { ContactRekeyStore, RekeyPass } from './ports';

/**
 * Re-keys the contacts stored before keyed ids (docs/deploy.md, "Upgrading: re-keying contact ids";
 * docs/decisions.md, "Re-keying legacy contact ids"). A legacy id (`ct_` + unsalted SHA-256 of the
 * email) lets anyone who reads the table or a report match a record to a guessed address; after
 * this, every record and report holds keyed ids only.
 *
 * A live contact moves to `ids.idFor(email)`, where an import or a look-up by email finds it once
 * its legacy id is gone; a tombstone (erased before, no email left) to `ids.idForLegacy(legacyId)`,
 * which resolveContactIds also reads, so the erased person still cannot be imported again. A live
 * contact also gets a forwarding record under `idForLegacy(legacyId)`, since the unsubscribe links in
 * mail sent before name the legacy id (lib/contacts/unsubscribe.ts follows it).
 *
 * Order, so that a run stopped anywhere is finished by running it again: every record but the
 * contacts' own first, then the reports, then the contacts themselves (the mapping is read from
 * them, so they go last), then one more pass over the records for any written under a legacy id
 * while the run went on. Campaign counters are sums and hold no contact id: they do not change.
 */
export interface RekeyDeps {
  rekey: ContactRekeyStore;
  reports: ReportStore;
  campaigns: CampaignStore;
  ids: ContactIds;
  /** Progress lines for the operator. */
  progress?: (line: string) => void;
}

export interface RekeySummary {
  dryRun: boolean;
  /** Legacy contacts found (moved, or to move in a dry run). */
  contacts: number;
  /** Of them, tombstones of erasures made before keyed ids. */
  erasedContacts: number;
  /** Records rewritten (contacts' own included). */
  itemsRewritten: number;
  /** Report objects rewritten with keyed ids (earlier versions deleted). */
  reportObjectsRewritten: number;
  /** Records an earlier (crashed) or concurrent run had moved already. */
  alreadyDone: number;
}

/** Legacy id → keyed id of every legacy contact stored. */
export async function legacyIdMapping(deps: Pick<RekeyDeps, 'rekey' | 'ids'>) {
  const mapping = new Map<string, string>();
  let erased = 0;
  for await (const c of deps.rekey.legacyContacts()) {
    if (!c.email) erased++;
    mapping.set(c.contactId, c.email ? deps.ids.idFor(c.email) : deps.ids.idForLegacy(c.contactId));
  }
  return { mapping, erased };
}

/** A send in progress writes records under the ids of its audience page by page: not while they move. */
async function refuseWhileSending(campaigns: CampaignStore) {
  let cursor: string | undefined;
  do {
    const page = await campaigns.list(cursor, 100);
    const sending = page.items.find((c) => c.status === 'sending');
    if (sending) {
      throw new ConflictError(`campaign ${sending.campaignId} is sending: run the migration once it has finished (docs/deploy.md)`);
    }
    cursor = page.cursor;
  } while (cursor);
}

export async function rekeyLegacyContacts(deps: RekeyDeps, options: { dryRun?: boolean } = {}): Promise<RekeySummary> {
  const dryRun = options.dryRun ?? false;
  const say = deps.progress ?? (() => {});
  const { mapping, erased } = await legacyIdMapping(deps);
  const summary: RekeySummary = {
    dryRun,
    contacts: mapping.size,
    erasedContacts: erased,
    itemsRewritten: 0,
    reportObjectsRewritten: 0,
    alreadyDone: 0,
  };
  say(`${mapping.size} legacy contacts (${erased} erased before keyed ids)`);
  if (!mapping.size) return summary;
  if (!dryRun) await refuseWhileSending(deps.campaigns);
  const add = (pass: RekeyPass, what: string) => {
    summary.itemsRewritten += pass.rewritten;
    summary.alreadyDone += pass.alreadyDone;
    say(`${what}: ${pass.scanned} items read, ${pass.rewritten} ${dryRun ? 'to rewrite' : 'rewritten'}, ${pass.alreadyDone} already done`);
  };
  add(await deps.rekey.rewrite(mapping, { profiles: false, dryRun }), 'records');
  summary.reportObjectsRewritten = await rekeyReports(deps, mapping, { dryRun });
  say(`reports: ${summary.reportObjectsRewritten} objects ${dryRun ? 'to rewrite' : 'rewritten'}`);
  if (!dryRun) {
    // Before the contacts move (the mapping is read from them): links mailed before name legacy ids.
    for (const [legacyId, to] of mapping)
      if (to !== deps.ids.idForLegacy(legacyId)) await deps.rekey.forward(deps.ids.idForLegacy(legacyId), to);
  }
  add(await deps.rekey.rewrite(mapping, { profiles: true, dryRun }), 'contacts');
  if (!dryRun) add(await deps.rekey.rewrite(mapping, { profiles: false, dryRun }), 'records written meanwhile');
  return summary;
}
