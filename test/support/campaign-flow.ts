import { expect } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime';
import { callApi } from './reports';

/**
 * A campaign with a pricing link and the unsubscribe link, created for `contactIds` and sent
 * through the local API (201, then 202); answers its id.
 */
export async function sendCampaignTo(runtime: LocalRuntime, name: string, contactIds: string[]): Promise<string> {
  const profileId = (await callApi<{ profileId: string }>(runtime, 'POST', '/profiles', { name: 'Anyone' })).body.profileId;
  const created = await callApi<{ campaignId: string }>(runtime, 'POST', '/campaigns', {
    name,
    subject: 'Hello {{default firstName "there"}}',
    fromAddress: 'Acme <news@acme.example>',
    htmlTemplate: '<p>Hi {{firstName}}</p><a href="https://acme.example/pricing">Pricing</a> <a href="{{unsubscribeUrl}}">Unsubscribe</a>',
    textTemplate: 'Hi {{firstName}} — https://acme.example/pricing — {{unsubscribeUrl}}',
    fallbacks: { firstName: 'there' },
    profileId,
    contactIds,
  });
  expect(created.status).toBe(201);
  const id = created.body.campaignId;
  expect((await callApi(runtime, 'POST', `/campaigns/${id}/send`)).status).toBe(202);
  return id;
}

/** A person opens the message ten minutes after its send and clicks the pricing link twenty seconds later. */
export async function openAndClickPricing(runtime: LocalRuntime, campaignId: string, contactId: string): Promise<void> {
  const { token, sentAt } = runtime.sesPlayback.messageFor(campaignId, contactId)!;
  const later = (s: number) => new Date(Date.parse(sentAt) + s * 1000).toISOString();
  const reader = { userAgent: 'Mozilla/5.0 (Macintosh) Safari/605.1.15', ipAddress: '198.51.100.7' };
  await runtime.sesPlayback.open(token, { ...reader, at: later(600) });
  await runtime.sesPlayback.click(token, 'https://acme.example/pricing', { ...reader, at: later(620) });
}
