import { randomUUID } from 'node:crypto';

/**
 * Builds SES sending events as EventBridge delivers them, in the record shapes of the SES developer
 * guide (see test/fixtures/ses-eventbridge): what the local runtime publishes while it plays SES.
 */
export type SesEventType = 'Send' | 'Delivery' | 'Open' | 'Click' | 'Bounce' | 'Complaint' | 'Subscription' | 'DeliveryDelay';

export interface MailFacts {
  messageId: string;
  sentAt: string;
  from: string;
  to: string;
  subject: string;
  configurationSet: string;
  campaignId: string;
  contactId: string;
  region?: string;
  account?: string;
}

export interface EventFacts {
  at?: string;
  userAgent?: string;
  ipAddress?: string;
  link?: string;
  linkTags?: Record<string, string[]>;
  bounceType?: 'Permanent' | 'Transient' | 'Undetermined';
  bounceSubType?: string;
  /** A bounced recipient's DSN fields; by default those of a 5.1.1 "user unknown" (or, transient, a full mailbox). */
  bounceStatus?: string;
  diagnosticCode?: string;
  reportingMTA?: string;
  /** A bounce without a delivery status notification (an automatic reply): the recipient's address alone. */
  withoutDsn?: boolean;
  complaintFeedbackType?: string;
}

const detailTypes: Record<SesEventType, string> = {
  Send: 'Email Sent',
  Delivery: 'Email Delivered',
  Open: 'Email Opened',
  Click: 'Email Clicked',
  Bounce: 'Email Bounced',
  Complaint: 'Email Complaint Received',
  Subscription: 'Email Subscribed',
  DeliveryDelay: 'Email Delivery Delayed',
};

const domainOf = (address: string) => (address.match(/@([^>\s]+)/)?.[1] ?? 'localhost').toLowerCase();

/** The `mail` record every SES event carries: the message, its headers and its tags. */
function mailRecord(mail: MailFacts, region: string, account: string) {
  const fromDomain = domainOf(mail.from);
  return {
    timestamp: mail.sentAt,
    source: mail.from,
    sourceArn: `arn:aws:ses:${region}:${account}:identity/${fromDomain}`,
    sendingAccountId: account,
    messageId: mail.messageId,
    destination: [mail.to],
    headersTruncated: false,
    headers: [
      { name: 'From', value: mail.from },
      { name: 'To', value: mail.to },
      { name: 'Subject', value: mail.subject },
      { name: 'MIME-Version', value: '1.0' },
    ],
    commonHeaders: { from: [mail.from], to: [mail.to], messageId: mail.messageId, subject: mail.subject },
    tags: {
      'ses:configuration-set': [mail.configurationSet],
      'ses:source-ip': ['127.0.0.1'],
      'ses:from-domain': [fromDomain],
      'ses:caller-identity': ['local'],
      campaignId: [mail.campaignId],
      contactId: [mail.contactId],
    },
  };
}

function bounceRecord(mail: MailFacts, facts: EventFacts, at: string) {
  const permanent = (facts.bounceType ?? 'Permanent') === 'Permanent';
  const dsn = {
    action: 'failed',
    status: facts.bounceStatus ?? (permanent ? '5.1.1' : '4.2.2'),
    diagnosticCode: facts.diagnosticCode ?? (permanent ? 'smtp; 550 5.1.1 user unknown' : 'smtp; 452 4.2.2 mailbox full'),
  };
  return {
    bounceType: facts.bounceType ?? 'Permanent',
    bounceSubType: facts.bounceSubType ?? 'General',
    bouncedRecipients: [{ emailAddress: mail.to, ...(facts.withoutDsn ? {} : dsn) }],
    timestamp: at,
    feedbackId: randomUUID(),
    ...(facts.withoutDsn ? {} : { reportingMTA: facts.reportingMTA ?? 'dsn; local.smtp-out.example' }),
  };
}

/** Each event type's own record, under its key in `detail` (`send`, `delivery`, …). */
const typeRecords: Record<SesEventType, (mail: MailFacts, facts: EventFacts, at: string) => Record<string, unknown>> = {
  Send: () => ({ send: {} }),
  Delivery: (mail, _facts, at) => ({
    delivery: {
      timestamp: at,
      processingTimeMillis: Math.max(0, Date.parse(at) - Date.parse(mail.sentAt)),
      recipients: [mail.to],
      smtpResponse: '250 2.0.0 OK',
      reportingMTA: 'local.smtp-out.example',
    },
  }),
  Open: (_mail, facts, at) => ({ open: { ipAddress: facts.ipAddress ?? '127.0.0.1', timestamp: at, userAgent: facts.userAgent ?? '' } }),
  Click: (_mail, facts, at) => ({
    click: {
      ipAddress: facts.ipAddress ?? '127.0.0.1',
      link: facts.link,
      linkTags: facts.linkTags ?? {},
      timestamp: at,
      userAgent: facts.userAgent ?? '',
    },
  }),
  Bounce: (mail, facts, at) => ({ bounce: bounceRecord(mail, facts, at) }),
  Complaint: (mail, facts, at) => ({
    complaint: {
      complainedRecipients: [{ emailAddress: mail.to }],
      timestamp: at,
      feedbackId: randomUUID(),
      ...(facts.userAgent ? { userAgent: facts.userAgent } : {}),
      complaintFeedbackType: facts.complaintFeedbackType ?? 'abuse',
      arrivalDate: at,
    },
  }),
  DeliveryDelay: (mail, _facts, at) => ({
    deliveryDelay: {
      timestamp: at,
      delayType: 'TransientCommunicationFailure',
      expirationTime: new Date(Date.parse(at) + 86_400_000).toISOString(),
      delayedRecipients: [{ emailAddress: mail.to, status: '4.4.1', diagnosticCode: 'smtp; 421 4.4.1 Unable to connect' }],
    },
  }),
  Subscription: (_mail, _facts, at) => ({
    subscription: {
      contactList: 'local',
      timestamp: at,
      source: 'UnsubscribeHeader',
      newTopicPreferences: { unsubscribeAll: true, topicSubscriptionStatus: [] },
      oldTopicPreferences: { unsubscribeAll: false, topicSubscriptionStatus: [] },
    },
  }),
};

export function sesEvent(type: SesEventType, mail: MailFacts, facts: EventFacts = {}, id?: string) {
  const region = mail.region ?? 'us-east-1';
  const account = mail.account ?? '000000000000';
  const at = facts.at ?? mail.sentAt;
  const detail: Record<string, unknown> = {
    eventType: type,
    mail: mailRecord(mail, region, account),
    ...typeRecords[type](mail, facts, at),
  };
  return {
    version: '0',
    id: id ?? randomUUID(),
    'detail-type': detailTypes[type],
    source: 'aws.ses',
    account,
    time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:ses:${region}:${account}:configuration-set/${mail.configurationSet}`],
    detail,
  };
}
