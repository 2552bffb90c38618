import type { AppConfig } from './config';
import { idempotentRequest, type IdempotencyStore, type StoredAnswer } from './common/idempotency';
import { domainOf } from './sending/sender-address';
import type { EngagementEvent } from './engagement/ses-event';
import { newId } from './common/ids';
import { TransientDependencyError } from './common/errors';
import type { ActivityStore, CriteriaStore, EventPublisher, LeadStore, RoutingStore } from './qualification/ports';
import type {
  CampaignMailSender,
  CampaignStore,
  MailSender,
  SendJob,
  SendLedger,
  SendProgressStore,
  SendQueue,
  SendRateLimiter,
} from './sending/ports';
import type { Clock } from './common/ports';
import type { ContactStore, ProfileStore } from './contacts/ports';
import type { DeadLetter, DeadLetterSink, EngagementStore, SentRecords } from './engagement/ports';
import { eventRulesSchema, verifyEvents } from './engagement/verify-events';
import { listCampaignRecipients } from './engagement/recipient-view';
import type { ReportJobs, ReportStore } from './reports/ports';
import type { ReviewMailLog } from './review/ports';
import { reviewUseCases } from './review/use-cases';
import { createCampaign, getCampaign, updateDraftCampaign } from './sending/campaigns';
import { controlSend, startSend, type SendControl } from './sending/send-control';
import { campaignStats } from './sending/campaign-stats';
import { compactionCutoff, CountedDeltas } from './engagement/deltas';
import { pipelineLinks } from './common/own-links';
import { getContact, importContacts, importContactsCsv, listContacts, type ContactListQuery } from './contacts/contacts';
import { lazyContactIds, resolveContactIds } from './contacts/contact-ids';
import { memoised } from './common/memoised';
import { eraseContact, exportContact } from './contacts/personal-data';
import { importSuppressions, updateContact } from './contacts/consent';
import type { CsvDelimiter } from './contacts/contact-import';
import { NotFoundError } from './common/errors';
import { campaignsReadRecently, notifySales } from './qualification/notify-sales';
import { sendDueFollowUps, type FollowUpDeps } from './qualification/follow-up';
import { listLeadQueue, type LeadQueueQuery } from './qualification/lead-queue';
import { createProfile } from './qualification/profiles';
import { backtestCriteria } from './qualification/backtest';
import * as manage from './qualification/manage-criteria';
import { recordEngagementEvent } from './qualification/record-engagement-event';
import { getLead, leadFeedback } from './qualification/lead-feedback';
import { qualificationRates } from './qualification/lead-rates';
import { explainNoLead } from './qualification/explain';
import { qualificationListener, type QualifyDeps } from './qualification/qualify';
import { composeListeners, suppressionListener } from './engagement/listeners';
import { getRouting, putRouting } from './qualification/manage-routing';
import { recordEngagement, type IncomingEvent } from './engagement/record-engagement';
import type { ReportStamp } from './reports/job';
import { requestReport, writeCampaignReport, writeDailyReports, writePeriodReport, type ReportDeps } from './reports/write-reports';
import { handleSendJob, type SendJobOptions } from './sending/send-job';
import { unsubscribe, unsubscribeStatus } from './contacts/unsubscribe';

/** Everything the use cases need from the outside world: built by one composition root per runtime. */
export interface Adapters {
  contacts: ContactStore;
  profiles: ProfileStore;
  campaigns: CampaignStore;
  ledger: SendLedger;
  /** Audience pages and job outcomes of sends. */
  progress: SendProgressStore;
  /** The account's send schedule shared by every sender. */
  sendLimiter: SendRateLimiter;
  /** The SES account's quota (GetAccount); undefined when it cannot be read. */
  sendQuota: { maxSendRate(): Promise<number | undefined> };
  engagement: EngagementStore;
  leads: LeadStore;
  /** Qualification criteria sets: drafts and immutable versions. */
  criteria: CriteriaStore;
  /** Each contact's scored activities (the activity ledger). */
  activities: ActivityStore;
  routing: RoutingStore;
  deadLetters: DeadLetterSink;
  /** Idempotency-Key records of creating requests; without it such requests with a key are refused (400). */
  idempotency?: IdempotencyStore;
  /** What was sent (campaigns, send records): what every SES event is checked against. */
  sentRecords: SentRecords;
  queue: SendQueue;
  /** Sends campaign messages (SES SendBulkEmail with the configuration set). */
  campaignMail: CampaignMailSender;
  /** Sends notifications to sales. */
  salesMail: MailSender;
  events: EventPublisher;
  reports: ReportStore;
  /** Large on-demand reports go to the report function through this. */
  reportJobs: ReportJobs;
  /** Review emails sent (one per inbox, criteria set and period); the quarterly review needs it. */
  reviewMail?: ReviewMailLog;
  clock: Clock;
}

/**
 * The application: use cases bound to adapters and configuration. Every trigger (HTTP, queue,
 * schedule, CLI via HTTP) reaches the domain through this object and nothing else: it holds use
 * cases (and the configuration), never the adapters themselves.
 */
export function buildApp(a: Adapters, config: AppConfig) {
  // One set of qualification dependencies for the engagement listener and for events posted to the API.
  const qualify: QualifyDeps = {
    ...a,
    rules: config.machineRules,
    defaultOwner: config.salesInbox,
    freshnessHours: config.freshnessHours,
  };
  const engagement = engagementUseCases(a, config, qualify);
  return {
    config,
    ...contactsUseCases(a, config, engagement.recordEngagement),
    ...sendingUseCases(a, config),
    ...engagement,
    ...criteriaUseCases(a, config),
    ...leadsUseCases(a, config, qualify),
    ...reportsUseCases(a, config),
    ...reviewUseCases(a, config),
    /** Runs a creating request once per Idempotency-Key (lib/common/idempotency.ts); undefined where no store is wired. */
    idempotentRequest: a.idempotency
      ? (request: { scope: string; key: string; fingerprint: string }, run: () => Promise<StoredAnswer>) =>
          idempotentRequest({ idempotency: a.idempotency!, clock: a.clock }, request, run)
      : undefined,
  };
}
export type App = ReturnType<typeof buildApp>;

/** An event that can never be processed, as the handler that met it describes it; `setAsideEvents` stamps the time. */
export type EventToSetAside = Omit<DeadLetter, 'at'>;

type RecordEngagement = ReturnType<typeof engagementUseCases>['recordEngagement'];

function contactsUseCases(a: Adapters, config: AppConfig, recordEngagement: RecordEngagement) {
  const withIds = { ...a, ids: lazyContactIds(() => unsubscribeKey(config)) };
  return {
    /** How emails become contact ids here (keyed; docs/decisions.md). */
    contactIds: withIds.ids,
    importContacts: (rows: unknown[]) => importContacts(withIds, rows),
    importContactsCsv: (text: string, options: { delimiter?: CsvDelimiter } = {}) => importContactsCsv(withIds, text, options),
    getContact: (contactId: string) => getContact(a, contactId),
    /** Attributes and consent (consent false withdraws; never lifts a suppression). */
    updateContact: (contactId: string, patch: unknown) => updateContact(withIds, contactId, patch),
    /** A CRM's opt-out list: every address suppressed, known or not. */
    importSuppressions: (rows: unknown[]) => importSuppressions(withIds, rows),
    listContacts: (query: ContactListQuery) => listContacts(withIds, query),
    exportContact: (contactId: string) => exportContact({ ...a, rules: config.machineRules }, contactId),
    eraseContact: (contactId: string) => eraseContact({ ...a, rules: config.machineRules }, contactId),
    unsubscribe: (token: string) =>
      unsubscribe(
        {
          ...withIds,
          secret: unsubscribeKey(config),
          record: async (event) => ({ counted: !(await recordEngagement([{ messageId: 'unsubscribe', event }])).failedMessageIds.length }),
        },
        token,
      ),
    unsubscribeStatus: (token: string) => unsubscribeStatus({ ...withIds, secret: unsubscribeKey(config) }, token),
  };
}

function sendingUseCases(a: Adapters, config: AppConfig) {
  const sendRate = memoised(SEND_RATE_TTL_MS, async () => {
    const rate = config.maxSendRate ?? (await a.sendQuota.maxSendRate());
    if (!rate) throw new TransientDependencyError('cannot read the SES send rate (GetAccount); set MAX_SEND_RATE to pace without it');
    return rate;
  });
  const emailIds = (emails: string[]) => resolveContactIds({ ...a, ids: lazyContactIds(() => unsubscribeKey(config)) }, emails);
  return {
    createCampaign: (input: unknown) => createCampaign({ ...a, senderDomain: senderDomainOf(config), emailIds }, input),
    getCampaign: (campaignId: string) => getCampaign(a, campaignId),
    listCampaigns: (cursor?: string, limit?: number) => a.campaigns.list(cursor, limit),
    updateDraftCampaign: (campaignId: string, patch: unknown) =>
      updateDraftCampaign({ ...a, senderDomain: senderDomainOf(config), emailIds }, campaignId, patch),
    startSend: (campaignId: string, idempotencyKey?: string) => startSend(a, campaignId, idempotencyKey),
    controlSend: (campaignId: string, action: SendControl) => controlSend(a, campaignId, action),
    /** What happened to each recipient, a page at a time (the drill-down behind the counts). */
    listCampaignRecipients: (campaignId: string, cursor?: string) =>
      listCampaignRecipients({ ...a, rules: config.machineRules }, campaignId, cursor),
    campaignStats: (campaignId: string) => campaignStats({ ...a, inFlightGraceMs: config.inFlightGraceMs }, campaignId),
    handleSendJob: (job: SendJob, options?: SendJobOptions) =>
      handleSendJob(
        {
          ...a,
          mail: a.campaignMail,
          limiter: a.sendLimiter,
          sendRate,
          unsubscribe: { baseUrl: config.unsubscribeBaseUrl, mailto: config.unsubscribeMailto, secret: unsubscribeKey(config) },
          ...config.sending,
        },
        job,
        options,
      ),
  };
}

function engagementUseCases(a: Adapters, config: AppConfig, qualify: QualifyDeps) {
  const countedDeltas = new CountedDeltas();
  const eventRules = eventRulesSchema.parse({
    accountId: config.accountId,
    configurationSet: config.configurationSetName,
    ...config.events,
  });
  const listener = composeListeners(suppressionListener({ contacts: a.contacts }), qualificationListener(qualify));
  return {
    recordEngagement: (events: IncomingEvent[]) =>
      recordEngagement(
        {
          store: a.engagement,
          clock: a.clock,
          rules: config.machineRules,
          inFlightGraceMs: config.inFlightGraceMs,
          newDeltaId: () => newId('d'),
          listener,
          isOwnLink: pipelineLinks(config.unsubscribeBaseUrl),
          countedDeltas,
          compactBefore: () => compactionCutoff(a.clock.now(), config.inFlightGraceMs),
        },
        events,
      ),
    /** Checks SES events against what was sent: accepted, set aside with a reason, or waiting for their send's outcome. */
    verifyEvents: (events: IncomingEvent[]) => verifyEvents({ sent: a.sentRecords, clock: a.clock, rules: eventRules }, events),
    /** Keeps events that can never be processed, with why, for diagnosis; they count nothing. */
    setAsideEvents: (events: EventToSetAside[]) => {
      const at = a.clock.now().toISOString();
      return a.deadLetters.put(events.map((event) => ({ ...event, at })));
    },
  };
}

function criteriaUseCases(a: Adapters, config: AppConfig) {
  return {
    createProfile: (input: unknown) => createProfile(a, input),
    getProfile: async (profileId: string) => {
      const profile = await a.profiles.get(profileId);
      if (!profile) throw new NotFoundError(`profile ${profileId} does not exist`);
      return profile;
    },
    createCriteria: (input: unknown) => manage.createCriteria(a, input),
    getCriteria: (criteriaId: string) => manage.getCriteria(a, criteriaId),
    listCriteria: (cursor?: string) => a.criteria.list(cursor),
    editCriteriaDraft: (criteriaId: string, input: unknown, query?: unknown) => manage.editDraft(a, criteriaId, input, query),
    publishCriteria: (criteriaId: string, input?: unknown) => manage.publishCriteria(a, criteriaId, input),
    listCriteriaVersions: (criteriaId: string) => manage.listCriteriaVersions(a, criteriaId),
    getCriteriaVersion: (criteriaId: string, version: number) => manage.getCriteriaVersion(a, criteriaId, version),
    backtestCriteria: (criteriaId: string, input: unknown) => backtestCriteria({ ...a, rules: config.machineRules }, criteriaId, input),
  };
}

function leadsUseCases(a: Adapters, config: AppConfig, qualify: QualifyDeps) {
  const notifierCampaigns = campaignsReadRecently(a.campaigns, a.clock);
  return {
    recordEngagementEvent: (contactId: string, input: unknown) => recordEngagementEvent(qualify, contactId, input),
    notifySales: (contactId: string, leadId?: string) =>
      notifySales({ ...a, campaigns: notifierCampaigns, mail: a.salesMail, from: config.notificationFrom }, contactId, leadId),
    /** Speed-to-lead: sends each due reminder and escalation once (run on a schedule). */
    sendDueFollowUps: (onFailure?: FollowUpDeps['onFailure']) =>
      sendDueFollowUps({ ...a, mail: a.salesMail, from: config.notificationFrom, onFailure }),
    getLead: (contactId: string) => getLead(a, contactId),
    /** Why a contact is not an MQL: fit, score against threshold, machine activity by rule. */
    explainLead: (contactId: string, campaignId?: string) => explainNoLead({ ...qualify, engagement: a.engagement }, contactId, campaignId),
    /** Sales's queue: a campaign's leads by stage, owner, overdue. */
    listLeadQueue: (query: LeadQueueQuery) => listLeadQueue(a, query),
    /** A campaign's MQLs, a page at a time. */
    listCampaignLeads: (campaignId: string, cursor?: string) => a.leads.listByCampaign(campaignId, cursor),
    leadFeedback: (contactId: string, input: unknown) => leadFeedback(a, contactId, input),
    /** MQL → SQL rates per campaign, criteria version and rejection reason (the reports issue calls this). */
    qualificationRates: (campaignIds: string[]) => qualificationRates(a, campaignIds),
    getRouting: () => getRouting(a, config.salesInbox),
    putRouting: (input: unknown, query?: unknown) => putRouting(a, input, query),
  };
}

function reportsUseCases(a: Adapters, config: AppConfig) {
  const reportDeps: ReportDeps = { ...a, rules: config.machineRules, bands: config.reportBands, uniqueSuffix: () => newId('r').slice(-6) };
  return {
    writeCampaignReport: (campaignId: string, stamp?: ReportStamp) => writeCampaignReport(reportDeps, campaignId, stamp),
    writePeriodReport: (period: unknown, stamp?: ReportStamp) => writePeriodReport(reportDeps, period, stamp),
    /** On demand (API): written now when small, else handed to the report function. */
    requestReport: (request: { campaignId: string } | { period: unknown }) =>
      requestReport({ ...reportDeps, jobs: a.reportJobs, syncRecipients: config.syncReportRecipients }, request),
    writeDailyReports: () => writeDailyReports(reportDeps),
  };
}

/** The unsubscribe key, read when a use case needs it: functions not given it work without it. */
function unsubscribeKey(config: AppConfig): string {
  if (!config.unsubscribeSecret) throw new Error('the unsubscribe key is not configured for this function (UNSUBSCRIBE_SECRET_ARN)');
  return config.unsubscribeSecret;
}

/** The domain campaigns send from: configured, else that of the notifications' From. */
function senderDomainOf(config: AppConfig): string {
  const domain = config.senderDomain ?? domainOf(config.notificationFrom);
  if (!domain) throw new Error('the sender domain is not configured (SENDER_DOMAIN)');
  return domain;
}

/** The account's rate is read again after this long (a quota increase applies without a cold start). */
const SEND_RATE_TTL_MS = 10 * 60_000;

export type { EngagementEvent };
