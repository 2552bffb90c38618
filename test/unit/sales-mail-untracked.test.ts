import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildAdapters } from '../../adapters/build-adapters';
import { configSchema } from '../../lib/config';
import { parseSesEvent } from '../../lib/engagement/ses-event';
import { notifySales } from '../../lib/qualification/notify-sales';
import { sesEvent } from '../../infra/local/ses-events';
import type { Lead } from '../../lib/qualification/lead';

const ses = mockClient(SESv2Client);
beforeEach(() => ses.reset());

const config = configSchema.parse({
  tableName: 't',
  reportBucket: 'b',
  sendQueueUrl: 'https://sqs.example/q',
  projectBusName: 'bus',
  configurationSetName: 'mql-pipeline-events',
  salesInbox: 'sales@acme.example',
  notificationFrom: 'mql@acme.example',
  unsubscribeBaseUrl: 'https://api.acme.example/unsubscribe',
  unsubscribeMailto: 'u@acme.example',
});

/** The sales notification as the deployed adapters send it: through `salesMail`, built by buildAdapters. */
async function sendNotification() {
  ses.on(SendEmailCommand).resolves({ MessageId: 'ses-sales-1' });
  const adapters = buildAdapters({ dynamodb: {} as never, ses: new SESv2Client({}), eventBridge: {} as never, s3: {} as never }, config, {
    queue: {} as never,
  });
  const lead = {
    leadId: 'ld_1',
    contactId: 'ct_1',
    campaignId: 'cmp_1',
    owner: 'ae@acme.example',
    stage: 'mql',
    reasons: ['clicked pricing'],
    trigger: { kind: 'click', at: '2026-03-02T14:10:00.000Z', linkUrl: 'https://acme.example/pricing' },
  } as unknown as Lead;
  const leads = {
    get: async () => lead,
    claimNotification: async () => true,
    releaseNotification: async () => {},
    markNotified: async () => lead,
  };
  const deps = {
    leads,
    contacts: { get: async () => ({ contactId: 'ct_1', email: 'dana@northwind.example', firstName: 'Dana' }) },
    campaigns: { get: async () => ({ campaignId: 'cmp_1', name: 'Q3' }) },
    mail: adapters.salesMail,
    clock: { now: () => new Date('2026-03-02T15:00:00Z') },
    from: config.notificationFrom,
  };
  await notifySales(deps as never, 'ct_1', 'ld_1').catch(() => undefined); // recording the outcome is not under test
  return ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
}

describe('sales notifications never enter campaign stats', () => {
  it('are sent without a configuration set, so SES publishes no events for them', async () => {
    const input = await sendNotification();
    expect(input.Destination?.ToAddresses).toEqual(['ae@acme.example']);
    expect(input.ConfigurationSetName).toBeUndefined();
  });

  it('carry no campaignId/contactId tags: an event SES published anyway (a default configuration set) is set aside as not ours', async () => {
    const input = await sendNotification();
    const tags = Object.fromEntries((input.EmailTags ?? []).map((t) => [t.Name, t.Value]));
    expect(tags).toEqual({ leadCampaignId: 'cmp_1', leadContactId: 'ct_1', kind: 'mql-notification' });
    const envelope = sesEvent(
      'Click',
      {
        messageId: 'ses-sales-1',
        sentAt: '2026-03-02T15:00:00.000Z',
        from: 'mql@acme.example',
        to: 'ae@acme.example',
        subject: 'MQL',
        configurationSet: 'default-set',
        campaignId: 'x',
        contactId: 'x',
      },
      { link: 'https://crm.example/lead/ld_1', at: '2026-03-02T15:10:00.000Z' },
    );
    // The event's tags are the mail's own: replace the stand-in's campaign tags with the sales mail's.
    (envelope.detail.mail as { tags: Record<string, string[]> }).tags = {
      'ses:configuration-set': ['default-set'],
      ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, [v!]])),
    };
    const parsed = parseSesEvent(envelope);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.rejected.reason).toMatch(/not ours/);
  });
});
