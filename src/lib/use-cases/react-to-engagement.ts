import type { Campaign } from '../campaign';
import { humanClicksOf } from '../engagement/recipient';
import type { MachineRules } from '../engagement/machine-activity';
import { leadQualifiedDetailType } from '../lead';
import type { Lead } from '../lead';
import type { CampaignStore, Clock, ContactStore, EventPublisher, LeadStore, ProfileStore } from '../ports';
import { evaluateFit } from '../profile';
import type { EngagementListener, RecipientChange } from './record-engagement';

/** Transient bounces of this many different messages suppress a contact (as Mailchimp's soft-bounce rule). */
export const TRANSIENT_BOUNCE_LIMIT = 3;

/**
 * Suppression: a permanent bounce, a complaint or an unsubscribe stops future sends to the contact.
 * A transient bounce (mailbox full, greylisting) is counted, and suppresses only once messages of
 * `transientBounceLimit` different sends have bounced transiently.
 */
export function suppressionListener(deps: { contacts: ContactStore; transientBounceLimit?: number }): EngagementListener {
  const limit = deps.transientBounceLimit ?? TRANSIENT_BOUNCE_LIMIT;
  return {
    async recipientsChanged(changes) {
      for (const { newEvents, after } of changes) {
        for (const e of newEvents) {
          if (e.type === 'bounce' && e.bounceType !== 'Permanent') {
            if ((await deps.contacts.recordTransientBounce(e.contactId, e.messageId)) >= limit) await deps.contacts.suppress(e.contactId, 'bounced', e.at);
          }
          if (e.type === 'bounce' && after.bounceType === 'Permanent') await deps.contacts.suppress(e.contactId, 'bounced', e.at);
          if (e.type === 'complaint') await deps.contacts.suppress(e.contactId, 'complained', e.at);
          if (e.type === 'subscription' && e.unsubscribeAll) await deps.contacts.suppress(e.contactId, 'unsubscribed', e.at);
        }
      }
    },
  };
}

export interface QualifyDeps {
  contacts: ContactStore;
  campaigns: CampaignStore;
  profiles: ProfileStore;
  leads: LeadStore;
  events: EventPublisher;
  clock: Clock;
  rules: MachineRules;
  /** The sales owner when no routing rule names one. */
  defaultOwner: string;
}

/**
 * The default rule: a human click by a contact who fits the campaign's ideal customer profile makes
 * an MQL, once per contact (the conditional create), recorded with the profile version and reasons.
 * The Lead Qualified event is published after the lead is stored and marked published after that;
 * a retry republishes only a lead never marked, and the notifier claims before mailing, so a
 * duplicate event never sends a second email.
 */
export function qualificationListener(deps: QualifyDeps): EngagementListener {
  return {
    async recipientsChanged(changes: RecipientChange[]) {
      // Only human clickers can qualify: look up just their contacts and campaigns, once per batch.
      const candidates = changes.filter((c) => c.newEvents.some((e) => e.type === 'click') && humanClicksOf(c.after, deps.rules).length);
      if (!candidates.length) return;
      const contacts = new Map((await deps.contacts.getMany(candidates.map((c) => c.after.contactId))).map((c) => [c.contactId, c]));
      const campaigns = new Map<string, Campaign | undefined>();
      for (const id of new Set(candidates.map((c) => c.after.campaignId))) campaigns.set(id, await deps.campaigns.get(id));
      const profiles = new Map<string, Awaited<ReturnType<ProfileStore['get']>>>();
      for (const change of candidates) {
        const firstClick = humanClicksOf(change.after, deps.rules)[0]!;
        const { campaignId, contactId } = change.after;
        const campaign = campaigns.get(campaignId);
        const contact = contacts.get(contactId);
        if (!campaign || !contact) continue; // unknown campaign or contact: recorded, never qualified
        const profileKey = `${campaign.profileId}@${campaign.profileVersion}`;
        if (!profiles.has(profileKey)) profiles.set(profileKey, await deps.profiles.get(campaign.profileId, campaign.profileVersion));
        const profile = profiles.get(profileKey);
        if (!profile) continue;
        const fit = evaluateFit(contact, profile);
        if (!fit.fits) continue;

        const clickEvent = change.newEvents.find((e) => e.type === 'click' && e.link);
        const linkUrl = clickEvent?.link ?? campaign.links[firstClick.linkId];
        const lead: Lead = {
          leadId: `ld_${contactId}`,
          contactId,
          campaignId,
          profileId: profile.profileId,
          profileVersion: profile.version,
          qualifiedAt: deps.clock.now().toISOString(),
          reasons: [...fit.reasons.map((r) => `Fit: ${r}`), `Engagement: clicked ${linkUrl ?? 'a link'} at ${firstClick.at}`],
          trigger: { linkUrl, intent: firstClick.intent, clickedAt: firstClick.at },
          stage: 'mql',
          owner: deps.defaultOwner,
        };
        const created = await deps.leads.createIfAbsent(lead);
        const stored = created ? lead : await deps.leads.get(contactId);
        if (stored && !stored.publishedAt) {
          await deps.events.leadQualified({ lead: stored });
          await deps.leads.markPublished(contactId, deps.clock.now().toISOString());
        }
      }
    },
  };
}

export function composeListeners(...listeners: EngagementListener[]): EngagementListener {
  return {
    async recipientsChanged(changes) {
      for (const l of listeners) await l.recipientsChanged(changes);
    },
  };
}

export { leadQualifiedDetailType };
