import { anonymisedLead, type Lead, type LeadStage, type RejectionReason, type StageChange } from '../../lib/qualification/lead';
import type { ActivityStore, CriteriaStore, DueFollowUp, LeadStore, RoutingStore, StoredRouting } from '../../lib/qualification/ports';
import type { Page } from '../../lib/common/ports';
import type { Approval, CriteriaDraft, CriteriaVersion } from '../../lib/qualification/criteria';
import { sealedActivity, type Activity } from '../../lib/qualification/evaluate';

/** In-memory stores with the same conditional semantics as the DynamoDB adapters, for unit tests. */
export class MemoryLeads implements LeadStore {
  readonly leads = new Map<string, Lead & { claimAt?: number }>();
  readonly archived: Lead[] = [];
  /** The due index: `contactId|kind` → the follow-up. */
  readonly due = new Map<string, DueFollowUp>();
  readonly followUpClaims = new Map<string, number>();
  private indexFollowUps(lead: Lead) {
    if (!lead.followUp) return;
    for (const [kind, at] of [
      ['reminder', lead.followUp.remindAt],
      ['escalation', lead.followUp.dueAt],
    ] as const)
      this.due.set(`${lead.contactId}|${kind}`, { contactId: lead.contactId, leadId: lead.leadId, kind, at });
  }
  async createIfAbsent(lead: Lead) {
    if (this.leads.has(lead.contactId)) return false;
    this.leads.set(lead.contactId, structuredClone(lead));
    this.indexFollowUps(lead);
    return true;
  }
  async listDueFollowUps(now: string): Promise<Page<DueFollowUp>> {
    return { items: [...this.due.values()].filter((d) => d.at <= now).map((d) => ({ ...d })) };
  }
  async claimFollowUp(due: DueFollowUp, at: Date, leaseMs: number) {
    const l = this.leads.get(due.contactId);
    const k = `${due.contactId}|${due.kind}`;
    const sent = due.kind === 'reminder' ? l?.followUp?.remindedAt : l?.followUp?.escalatedAt;
    if (!l || l.leadId !== due.leadId || l.stage !== 'mql' || sent) return false;
    const claim = this.followUpClaims.get(k);
    if (claim !== undefined && claim >= at.getTime() - leaseMs) return false;
    this.followUpClaims.set(k, at.getTime());
    return true;
  }
  async releaseFollowUp(due: DueFollowUp) {
    this.followUpClaims.delete(`${due.contactId}|${due.kind}`);
  }
  markFollowUpFails = 0;
  async markFollowUpSent(due: DueFollowUp, _m: string, at: string, newOwner?: string) {
    if (this.markFollowUpFails > 0) {
      this.markFollowUpFails--;
      throw new Error('ProvisionedThroughputExceededException');
    }
    const l = this.leads.get(due.contactId)!;
    if (due.kind === 'reminder') l.followUp!.remindedAt = at;
    else l.followUp!.escalatedAt = at;
    if (newOwner) l.owner = newOwner;
  }
  async dropFollowUp(due: DueFollowUp) {
    const k = `${due.contactId}|${due.kind}`;
    if (this.due.get(k)?.leadId === due.leadId) this.due.delete(k);
  }
  async replaceClosed(lead: Lead, previous: Lead) {
    const cur = this.leads.get(lead.contactId);
    if (!cur || cur.leadId !== previous.leadId || cur.stage !== previous.stage) return false;
    this.archived.push(structuredClone(previous));
    this.leads.set(lead.contactId, structuredClone(lead));
    this.indexFollowUps(lead);
    return true;
  }
  async get(id: string) {
    const l = this.leads.get(id);
    if (!l) return undefined;
    const { claimAt, ...lead } = structuredClone(l);
    return lead;
  }
  async getMany(ids: string[]) {
    return (await Promise.all(ids.map((id) => this.get(id)))).filter((l): l is Lead => Boolean(l));
  }
  async listByCampaign(campaignId: string): Promise<Page<Lead>> {
    return { items: [...this.archived, ...this.leads.values()].filter((l) => l.campaignId === campaignId).map((l) => structuredClone(l)) };
  }
  async claimNotification(id: string, at: Date, leaseMs: number) {
    const l = this.leads.get(id)!;
    if (l.notifiedAt || (l.claimAt !== undefined && l.claimAt >= at.getTime() - leaseMs)) return false;
    l.claimAt = at.getTime();
    return true;
  }
  async markNotified(id: string, _m: string, at: string) {
    this.leads.get(id)!.notifiedAt = at;
  }
  async releaseNotification(id: string) {
    delete this.leads.get(id)!.claimAt;
  }
  async markPublished(id: string, at: string) {
    this.leads.get(id)!.publishedAt ??= at;
  }
  async anonymise(id: string, at: string) {
    for (const [i, a] of this.archived.entries()) if (a.contactId === id) this.archived[i] = anonymisedLead(a, at);
    const l = this.leads.get(id);
    if (!l) return false;
    this.leads.set(id, anonymisedLead(l, at));
    return true;
  }
  async earlierLifecycles(id: string) {
    return this.archived.filter((a) => a.contactId === id).map((a) => structuredClone(a));
  }
  async updateStage(
    id: string,
    expected: { leadId: string; stage: LeadStage },
    change: { stage: LeadStage; entries: StageChange[]; rejectionReason?: RejectionReason | null; closedAt?: string | null },
  ) {
    const l = this.leads.get(id);
    if (!l || l.leadId !== expected.leadId || l.stage !== expected.stage) return false;
    l.stage = change.stage;
    l.stageHistory = [...(l.stageHistory ?? []), ...change.entries];
    if (change.rejectionReason) l.rejectionReason = change.rejectionReason;
    if (change.rejectionReason === null) delete l.rejectionReason;
    if (change.closedAt) l.closedAt = change.closedAt;
    if (change.closedAt === null) delete l.closedAt;
    return true;
  }
  async rewriteNotes(lead: Lead, history: StageChange[]) {
    const current = this.leads.get(lead.contactId);
    const stored = current?.leadId === lead.leadId ? current : this.archived.find((a) => a.leadId === lead.leadId);
    if (!stored || (stored.stageHistory?.length ?? 0) !== (lead.stageHistory?.length ?? 0)) return false;
    stored.stageHistory = structuredClone(history);
    return true;
  }
}

export class MemoryActivities implements ActivityStore {
  readonly items = new Map<string, Activity>();
  puts = 0;
  async put(activities: Activity[]) {
    for (const a of activities) {
      this.puts++;
      this.items.set(`${a.contactId}|${a.key}`, structuredClone(a));
    }
  }
  async putIfAbsent(a: Activity) {
    if (this.items.has(`${a.contactId}|${a.key}`)) return false;
    this.items.set(`${a.contactId}|${a.key}`, structuredClone(a));
    return true;
  }
  async erase(contactId: string, at: string) {
    const mine = await this.listForContact(contactId);
    for (const a of mine) this.items.set(`${contactId}|${a.key}`, sealedActivity(a, at));
    return mine.length;
  }
  async listForContact(contactId: string) {
    return [...this.items.values()].filter((a) => a.contactId === contactId).map((a) => structuredClone(a));
  }
}

export class MemoryCriteria implements CriteriaStore {
  readonly drafts = new Map<string, CriteriaDraft>();
  readonly versions = new Map<string, CriteriaVersion>();
  defaultId?: string;
  async createDraft(d: CriteriaDraft) {
    if (this.drafts.has(d.criteriaId)) return false;
    this.drafts.set(d.criteriaId, structuredClone(d));
    return true;
  }
  async getDraft(id: string) {
    const d = this.drafts.get(id);
    return d && structuredClone(d);
  }
  async saveDraft({ approvals: _approvals, ...d }: CriteriaDraft, expected: number) {
    if (this.drafts.get(d.criteriaId)?.revision !== expected) return false;
    this.drafts.set(d.criteriaId, structuredClone(d));
    return true;
  }
  async recordApproval(id: string, a: Approval) {
    const d = this.drafts.get(id);
    if (!d || d.revision !== a.revision) return false;
    d.approvals = { ...d.approvals, [a.side]: structuredClone(a) };
    return true;
  }
  async putVersion(v: CriteriaVersion) {
    const k = `${v.criteriaId}|${v.version}`;
    if (this.versions.has(k)) return false;
    this.versions.set(k, structuredClone(v));
    return true;
  }
  async getVersion(id: string, version?: number) {
    const all = await this.listVersions(id);
    return version === undefined ? all.at(-1) : all.find((v) => v.version === version);
  }
  async listVersions(id: string) {
    return [...this.versions.values()]
      .filter((v) => v.criteriaId === id)
      .sort((a, b) => a.version - b.version)
      .map((v) => structuredClone(v));
  }
  async list(): Promise<Page<CriteriaDraft>> {
    return { items: [...this.drafts.values()] };
  }
  async getDefault() {
    return this.defaultId;
  }
  async setDefault(id: string, onlyIfUnset: boolean) {
    if (onlyIfUnset && this.defaultId) return false;
    this.defaultId = id;
    return true;
  }
}

export class MemoryRouting implements RoutingStore {
  stored?: StoredRouting;
  readonly turns = new Map<string, number>();
  async get() {
    return this.stored && structuredClone(this.stored);
  }
  async put(r: StoredRouting, expected: number) {
    if ((this.stored?.revision ?? 0) !== expected) return false;
    this.stored = structuredClone(r);
    return true;
  }
  async nextTurn(team: string) {
    const n = this.turns.get(team) ?? 0;
    this.turns.set(team, n + 1);
    return n;
  }
}
