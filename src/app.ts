import type { AppConfig } from './config';
import type { EngagementEvent } from './lib/engagement/ses-event';
import { newId } from './lib/ids';
import type {
  CampaignStore,
  Clock,
  ContactStore,
  DeadLetterSink,
  EngagementStore,
  EventPublisher,
  LeadStore,
  MailSender,
  ProfileStore,
  ReportStore,
  SendJob,
  SendLedger,
  SendQueue,
} from './lib/ports';
import { campaignStats, compactionCutoff, createCampaign, getCampaign, startSend, updateDraftCampaign } from './lib/use-cases/campaigns';
import { getContact, importContacts, importContactsCsv, listContacts, type ContactListQuery } from './lib/use-cases/contacts';
import { eraseContact, exportContact } from './lib/use-cases/personal-data';
import type { CsvDelimiter } from './lib/contact-import';
import { NotFoundError } from './lib/errors';
import { notifySales } from './lib/use-cases/notify-sales';
import { createProfile } from './lib/use-cases/profiles';
import { composeListeners, qualificationListener, suppressionListener } from './lib/use-cases/react-to-engagement';
import { CountedDeltas, recordEngagement, type IncomingEvent } from './lib/use-cases/record-engagement';
import { writeCampaignReport } from './lib/use-cases/reports';
import { handleSendJob, pacer } from './lib/use-cases/send';
import { unsubscribe } from './lib/use-cases/unsubscribe';

/** Everything the use cases need from the outside world: built by one composition root per runtime. */
export interface Adapters {
  contacts: ContactStore;
  profiles: ProfileStore;
  campaigns: CampaignStore;
  ledger: SendLedger;
  engagement: EngagementStore;
  leads: LeadStore;
  deadLetters: DeadLetterSink;
  queue: SendQueue;
  /** Sends campaign messages (SES with the configuration set). */
  campaignMail: MailSender;
  /** Sends notifications to sales. */
  salesMail: MailSender;
  events: EventPublisher;
  reports: ReportStore;
  clock: Clock;
}

/**
 * The application: use cases bound to adapters and configuration. Every trigger (HTTP, queue,
 * schedule, CLI via HTTP) reaches the domain through this object and nothing else.
 */
export function buildApp(a: Adapters, config: AppConfig) {
  const pace = pacer(config.maxSendRate ?? 14);
  const countedDeltas = new CountedDeltas();
  const listener = composeListeners(
    suppressionListener({ contacts: a.contacts }),
    qualificationListener({ ...a, rules: config.machineRules, defaultOwner: config.salesInbox }),
  );
  return {
    adapters: a,
    config,
    importContacts: (rows: unknown[]) => importContacts(a, rows),
    importContactsCsv: (text: string, options: { delimiter?: CsvDelimiter } = {}) => importContactsCsv(a, text, options),
    getContact: (contactId: string) => getContact(a, contactId),
    listContacts: (query: ContactListQuery) => listContacts(a, query),
    exportContact: (contactId: string) => exportContact({ ...a, rules: config.machineRules }, contactId),
    eraseContact: (contactId: string) => eraseContact({ ...a, rules: config.machineRules }, contactId),
    createProfile: (input: unknown) => createProfile(a, input),
    getProfile: async (profileId: string) => {
      const profile = await a.profiles.get(profileId);
      if (!profile) throw new NotFoundError(`profile ${profileId} does not exist`);
      return profile;
    },
    createCampaign: (input: unknown) => createCampaign(a, input),
    getCampaign: (campaignId: string) => getCampaign(a, campaignId),
    listCampaigns: (cursor?: string, limit?: number) => a.campaigns.list(cursor, limit),
    updateDraftCampaign: (campaignId: string, patch: unknown) => updateDraftCampaign(a, campaignId, patch),
    startSend: (campaignId: string, idempotencyKey?: string) => startSend(a, campaignId, idempotencyKey),
    campaignStats: (campaignId: string) => campaignStats({ ...a, inFlightGraceMs: config.inFlightGraceMs }, campaignId),
    unsubscribe: (token: string) => unsubscribe({ ...a, secret: config.unsubscribeSecret }, token),
    handleSendJob: (job: SendJob) =>
      handleSendJob(
        {
          ...a,
          mail: a.campaignMail,
          pace,
          unsubscribe: { baseUrl: config.unsubscribeBaseUrl, mailto: config.unsubscribeMailto, secret: config.unsubscribeSecret },
        },
        job,
      ),
    recordEngagement: (events: IncomingEvent[]) =>
      recordEngagement(
        {
          store: a.engagement,
          clock: a.clock,
          rules: config.machineRules,
          inFlightGraceMs: config.inFlightGraceMs,
          newDeltaId: () => newId('d'),
          listener,
          countedDeltas,
          compactBefore: () => compactionCutoff(a.clock.now(), config.inFlightGraceMs),
        },
        events,
      ),
    notifySales: (contactId: string) => notifySales({ ...a, mail: a.salesMail, from: config.notificationFrom }, contactId),
    writeCampaignReport: (campaignId: string) => writeCampaignReport({ ...a, rules: config.machineRules }, campaignId),
  };
}
export type App = ReturnType<typeof buildApp>;
export type { EngagementEvent };
