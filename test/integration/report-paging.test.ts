import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngagementStore } from '../../adapters/dynamodb/engagement-store';
import { logger } from '../../functions/observability';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import type { Contact } from '../../lib/contacts/contact';
import type { EngagementStore } from '../../lib/engagement/ports';
import { writeCampaignReport } from '../../lib/reports/write-reports';
import { parseCsv } from '../support/reports';

/**
 * A large campaign's recipients CSV is read a page at a time, the next page while the current one
 * is written (lib/reports/write-reports.ts, recipientPages). Here the recipients come in pages of 40,
 * so the read-ahead crosses many page boundaries: every recipient is listed once, in order, with
 * its own email; and a page that cannot be read fails the report, with nothing left in S3.
 */
logger.setLogLevel('CRITICAL');
let runtime: LocalRuntime;
let paged: DynamoEngagementStore;
const campaignId = 'cmp_paging';
const at = '2026-03-02T09:00:00.000Z';
const ids = Array.from({ length: 437 }, (_, i) => `ct_page_${String(i).padStart(4, '0')}`);
const emailOf = (id: string) => `${id.replace(/_/g, '-')}@paging.example`;
const erased = ids[123]!;

beforeAll(async () => {
  runtime = await startLocalRuntime();
  const { adapters, config } = runtime.app;
  paged = new DynamoEngagementStore(
    DynamoDBDocumentClient.from(runtime.clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    config.tableName,
    40,
  );
  await adapters.campaigns.create({
    campaignId,
    name: 'Paging',
    subject: 'Hello',
    fromAddress: 'news@acme.example',
    htmlTemplate: 'h',
    textTemplate: 't',
    profileId: 'icp_paging',
    profileVersion: 1,
    status: 'sent',
    createdAt: at,
    sendRequestedAt: at,
    links: {},
  });
  const contacts: Contact[] = ids.map((contactId) => ({
    contactId,
    email: emailOf(contactId),
    consent: true,
    createdAt: at,
    updatedAt: at,
  }));
  await adapters.contacts.upsertMany(contacts);
  await adapters.contacts.erase(erased, at);
  await adapters.ledger.recordOutcomes(
    campaignId,
    ids.map((contactId) => ({ contactId, at, state: 'sent' as const, messageId: `m-${contactId}` })),
  );
  // Every third recipient has engagement of its own (a recipient item); the others are listed from their send record.
  for (const contactId of ids.filter((_, i) => i % 3 === 0)) {
    const state = { campaignId, contactId, seen: ['k'], opens: [], clicks: [], sentAt: at, deliveredAt: at };
    await paged.putRecipient({ state, version: 1, pending: {} }, 0);
  }
});
afterAll(async () => {
  await runtime?.stop();
});

const depsWith = (engagement: EngagementStore, uniqueSuffix: string) => ({
  ...runtime.app.adapters,
  engagement,
  rules: runtime.app.config.machineRules,
  uniqueSuffix: () => uniqueSuffix,
});

describe('the recipients CSV, read a page ahead', () => {
  it('lists every recipient once, in order, with its email (none for an erased contact)', async () => {
    const written = await writeCampaignReport(depsWith(paged, 'paged'), campaignId);
    const rows = parseCsv((await runtime.app.adapters.reports.get(written.keys.recipientsCsv))!);
    expect(rows.map((r) => r.contactId)).toEqual(ids);
    expect(rows.filter((r) => r.email !== emailOf(r.contactId!)).map((r) => [r.contactId, r.email])).toEqual([[erased, '']]);
    expect(rows.filter((r) => r.delivered === 'yes').map((r) => r.contactId)).toEqual(ids.filter((_, i) => i % 3 === 0));
  });

  it('fails the report when a later page cannot be read, and leaves nothing written', async () => {
    let pages = 0;
    const failing = Object.create(paged) as DynamoEngagementStore;
    failing.listRecipients = async (id, cursor) => {
      if (++pages === 5) throw new Error('injected: the fifth page could not be read');
      return paged.listRecipients(id, cursor);
    };
    await expect(writeCampaignReport(depsWith(failing, 'failing'), campaignId)).rejects.toThrow(/fifth page/);
    expect(pages).toBe(5);
    const left = await runtime.app.adapters.reports.list(`reports/campaigns/${campaignId}/`);
    expect(left.filter((key) => key.includes('failing'))).toEqual([]);
  });
});
