import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../functions/observability';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import { localS3Config } from '../../infra/local/stand-ins';
import type { ReportStore } from '../../lib/reports/ports';
import { writeCampaignReport } from '../../lib/reports/write-reports';
import { callApi } from '../support/reports';

/**
 * Issue #14 item 4: a report that fails part-way leaves no partial objects in S3, and its
 * `latest.json` still names the last complete report. The store is the real S3 adapter on s3rver,
 * with one write made to fail after the others have landed.
 */
logger.setLogLevel('CRITICAL');
let runtime: LocalRuntime;
let s3: S3Client;

beforeAll(async () => {
  runtime = await startLocalRuntime();
  s3 = new S3Client(localS3Config(runtime.endpoints.s3));
});
afterAll(async () => {
  s3?.destroy();
  await runtime?.stop();
});

async function keysUnder(prefix: string) {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: runtime.app.config.reportBucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

/** The real store, except that writing `failing` waits for every other object to land, then throws. */
function failingStore(real: ReportStore, failing: string, landed: string[]): ReportStore {
  const store = Object.create(real) as ReportStore;
  const wait = () => new Promise((resolve) => setTimeout(resolve, 300));
  store.put = async (key, body, type) => {
    if (key.endsWith(failing)) return wait().then(() => Promise.reject(new Error('injected: S3 refused the write')));
    await real.put(key, body, type);
    landed.push(key);
  };
  store.putStream = async (key, body, type) => {
    if (key.endsWith(failing)) {
      for await (const _ of body) break; // part of the body produced, then the upload fails
      await wait();
      throw new Error('injected: S3 refused the upload');
    }
    await real.putStream(key, body, type);
    landed.push(key);
  };
  return store;
}

describe('a report that fails leaves no partial objects (#14 item 4)', () => {
  it.each(['leads.csv', 'report.html'])(
    'removes what was written when writing %s fails, and keeps latest.json on the last good report',
    async (failing) => {
      const call = (method: string, path: string, body?: unknown) => callApi<Record<string, string>>(runtime, method, path, body);
      const email = `partial-${failing.replace('.', '-')}@northwind.example`;
      await call('POST', '/contacts/import', { contacts: [{ email, firstName: 'Pia', consent: true }] });
      const contactId = (await callApi<{ items: { contactId: string }[] }>(runtime, 'GET', `/contacts?email=${email}`)).body.items[0]!
        .contactId;
      const profileId = (await call('POST', '/profiles', { name: 'Anyone' })).body.profileId;
      const campaignId = (
        await call('POST', '/campaigns', {
          name: 'Partial',
          subject: 'Hello',
          fromAddress: 'Acme <news@acme.example>',
          htmlTemplate: '<p>Hi</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
          textTemplate: 'Hi {{unsubscribeUrl}}',
          profileId,
          contactIds: [contactId],
        })
      ).body.campaignId!;
      await call('POST', `/campaigns/${campaignId}/send`);
      await runtime.settle();
      const good = await call('POST', `/campaigns/${campaignId}/reports`);
      expect(good.status).toBe(201);
      const prefix = `reports/campaigns/${campaignId}/`;
      const before = await keysUnder(prefix);
      expect(before).toHaveLength(5);

      const landed: string[] = [];
      const deps = {
        ...runtime.app.adapters,
        reports: failingStore(runtime.app.adapters.reports, failing, landed),
        rules: runtime.app.config.machineRules,
        uniqueSuffix: () => 'failing',
      };
      await expect(writeCampaignReport(deps, campaignId)).rejects.toThrow(/injected/);
      expect(landed.length).toBe(3); // the other three objects had been written when the fourth failed
      expect(await keysUnder(prefix)).toEqual(before);
      const latest = (await (await fetch((good.body as unknown as { urls: { latest: string } }).urls.latest)).json()) as { json: string };
      expect(latest.json).toBe((good.body as unknown as { keys: { json: string } }).keys.json);
    },
  );
});
