import { addCounters, type Counters, type RecipientEngagement } from '../../lib/engagement/recipient';
import type { CampaignDelta, EngagementStore, RecipientWrite, StoredRecipient } from '../../lib/engagement/ports';
import type { Page } from '../../lib/common/ports';

/** An in-memory EngagementStore with the same conditional semantics as the DynamoDB adapter. */
export class MemoryEngagementStore implements EngagementStore {
  readonly recipients = new Map<string, StoredRecipient>();
  readonly deltas = new Map<string, CampaignDelta>();
  writes = 0;

  async getRecipients(refs: { campaignId: string; contactId: string }[]) {
    const out = new Map<string, StoredRecipient>();
    for (const r of refs) {
      const k = `${r.campaignId}|${r.contactId}`;
      const v = this.recipients.get(k);
      if (v) out.set(k, structuredClone(v));
    }
    return out;
  }
  /** Hands back the winning item on a conflict, as DynamoDB does when asked (the adapter asks). */
  async putRecipient(recipient: StoredRecipient, expectedVersion: number): Promise<RecipientWrite> {
    const k = `${recipient.state.campaignId}|${recipient.state.contactId}`;
    const current = this.recipients.get(k);
    if ((current?.version ?? 0) !== expectedVersion) return { written: false, current: current && structuredClone(current) };
    this.writes++;
    this.recipients.set(k, structuredClone(recipient));
    return { written: true };
  }
  async existingDeltas(refs: { campaignId: string; deltaId: string }[], contactId?: string) {
    const counts = (r: { campaignId: string; deltaId: string }) => {
      const delta = this.deltas.get(`${r.campaignId}|${r.deltaId}`);
      return delta !== undefined && !(contactId && delta.excluded?.includes(contactId));
    };
    return new Set(refs.filter(counts).map((r) => r.deltaId));
  }
  async putDelta(delta: CampaignDelta) {
    const k = `${delta.campaignId}|${delta.deltaId}`;
    if (this.deltas.has(k)) return;
    this.writes++;
    this.deltas.set(k, structuredClone(delta));
  }
  async campaignCounters(campaignId: string) {
    const counters: Counters = {};
    const linkUrls: Record<string, string> = {};
    for (const d of this.deltas.values()) {
      if (d.campaignId !== campaignId) continue;
      addCounters(counters, d.counters);
      Object.assign(linkUrls, d.linkUrls);
    }
    return { counters, linkUrls, complete: true };
  }
  async listRecipients(campaignId: string): Promise<Page<RecipientEngagement>> {
    return { items: [...this.recipients.values()].filter((r) => r.state.campaignId === campaignId).map((r) => r.state) };
  }
}
