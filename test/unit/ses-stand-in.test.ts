import { describe, expect, it } from 'vitest';
import { SesPlayback } from '../../infra/local/ses-playback';
import { parseSesEvent } from '../../lib/engagement/ses-event';
import type { OutgoingMessage, SendOutcome } from '../../lib/sending/ports';

/**
 * The local SES as strict as SES (docs/ses-stand-in.md): each test here is a row of that table.
 * The playback wraps a recording sender in place of aws-ses-v2-local, so what would be delivered
 * and what SES would publish can both be read.
 */
function standIn() {
  const delivered: OutgoingMessage[] = [];
  const published: Record<string, unknown>[] = [];
  let n = 0;
  const inner = {
    maxBatch: 50,
    send: async (m: OutgoingMessage) => {
      delivered.push(m);
      return { messageId: `ses-${++n}` };
    },
    sendBatch: async (ms: OutgoingMessage[]): Promise<SendOutcome[]> => {
      delivered.push(...ms);
      return ms.map(() => ({ ok: true as const, messageId: `ses-${++n}` }));
    },
  };
  const playback = new SesPlayback(inner, {
    publish: async (e) => void published.push(e),
    trackingBaseUrl: 'http://127.0.0.1:3000/t',
    configurationSetName: 'mql-pipeline-events',
    clock: { now: () => new Date('2026-03-02T14:00:00Z') },
  });
  const events = (type: string) => published.map((e) => parseSesEvent(e)).flatMap((r) => (r.ok && r.event.type === type ? [r.event] : []));
  return { playback, delivered, published, events };
}

const unsubscribeUrl = 'https://api.acme.example/unsubscribe/tok.sig';
const message = (to: string, contactId: string, html: string, text = `Read it: https://acme.example/pricing ${unsubscribeUrl}`) => ({
  from: 'news@acme.example',
  to,
  subject: 'Q3',
  html,
  text,
  headers: {},
  tags: { campaignId: 'cmp_1', contactId },
});
const html = `<html><body><p><a ses:tags="intent:pricing;topic:cost;" href="https://acme.example/pricing?a=1&amp;b=2">Pricing</a>
<a href='https://acme.example/blog'>Blog</a> <a href="mailto:sales@acme.example">Mail us</a>
<a href="${unsubscribeUrl}">Unsubscribe</a></p></body></html>`;
const trackedHref = /href="http:\/\/127\.0\.0\.1:3000\/t\/c\/([^?"]+)\?u=([^"]+)"/g;

describe('the local SES tracks as SES does', () => {
  it('tracks every http(s) link of the HTML part, the unsubscribe link included, and leaves mailto alone', async () => {
    const s = standIn();
    await s.playback.send(message('dana@northwind.example', 'ct_1', html));
    const out = s.delivered[0]!.html;
    const targets = [...out.matchAll(trackedHref)].map((m) => decodeURIComponent(m[2]!));
    expect(targets).toEqual(['https://acme.example/pricing?a=1&b=2', 'https://acme.example/blog', unsubscribeUrl]);
    expect(out).toContain('href="mailto:sales@acme.example"');
    expect(out).not.toContain(`href="${unsubscribeUrl}"`);
  });

  it('leaves an anchor with ses:no-track untracked, and a click on it is refused', async () => {
    const s = standIn();
    const untracked = html.replace(`<a href="${unsubscribeUrl}"`, `<a ses:no-track href="${unsubscribeUrl}"`);
    const { messageId } = await s.playback.send(message('dana@northwind.example', 'ct_1', untracked));
    const out = s.delivered[0]!.html;
    expect(out).toContain(`href="${unsubscribeUrl}"`);
    expect([...out.matchAll(trackedHref)].map((m) => decodeURIComponent(m[2]!))).not.toContain(unsubscribeUrl);
    expect(await s.playback.click(s.playback.tokenFor(messageId)!, unsubscribeUrl, {})).toBe(false);
    expect(s.events('click')).toEqual([]);
  });

  it('carries ses:tags on the Click event as linkTags, and does not deliver the attribute', async () => {
    const s = standIn();
    const { messageId } = await s.playback.send(message('dana@northwind.example', 'ct_1', html));
    expect(s.delivered[0]!.html).not.toContain('ses:tags');
    const token = s.playback.tokenFor(messageId)!;
    expect(await s.playback.click(token, 'https://acme.example/pricing?a=1&b=2', { userAgent: 'Mozilla/5.0 Chrome/128' })).toBe(true);
    expect(await s.playback.click(token, unsubscribeUrl, {})).toBe(true); // tracked, as on AWS: reported untagged
    const clicks = s.events('click');
    expect(clicks.map((c) => [c.link, c.linkTags])).toEqual([
      ['https://acme.example/pricing?a=1&b=2', { intent: ['pricing'], topic: ['cost'] }],
      [unsubscribeUrl, {}],
    ]);
  });

  it('does not touch the text part', async () => {
    const s = standIn();
    const sent = message('dana@northwind.example', 'ct_1', html);
    await s.playback.send(sent);
    expect(s.delivered[0]!.text).toBe(sent.text);
  });

  it('adds one open pixel at the bottom of the HTML body, whose fetch is an Open event', async () => {
    const s = standIn();
    const { messageId } = await s.playback.send(message('dana@northwind.example', 'ct_1', html));
    const out = s.delivered[0]!.html;
    const pixels = [...out.matchAll(/<img src="http:\/\/127\.0\.0\.1:3000\/t\/o\/([^"]+)\.gif"/g)];
    expect(pixels).toHaveLength(1);
    expect(out.indexOf(pixels[0]![0])).toBeLessThan(out.indexOf('</body>'));
    expect(out.indexOf(pixels[0]![0])).toBeGreaterThan(out.lastIndexOf('</a>'));
    expect(pixels[0]![1]).toBe(s.playback.tokenFor(messageId));
    await s.playback.open(pixels[0]![1]!, { userAgent: 'Mozilla/5.0 Chrome/128' });
    expect(s.events('open').map((e) => e.messageId)).toEqual([messageId]);
  });

  it('gives each destination of a bulk send its own message id, tracking links and event stream', async () => {
    const s = standIn();
    const outcomes = await s.playback.sendBatch([
      message('a@northwind.example', 'ct_a', html),
      message('b@northwind.example', 'ct_b', html),
    ]);
    const ids = outcomes.map((o) => (o.ok ? o.messageId : ''));
    expect(new Set(ids).size).toBe(2);
    const tokens = s.delivered.map((m) => [...m.html.matchAll(trackedHref)][0]![1]);
    expect(new Set(tokens).size).toBe(2);
    for (const type of ['send', 'delivery']) {
      expect(s.events(type).map((e) => [e.messageId, e.contactId])).toEqual([
        [ids[0], 'ct_a'],
        [ids[1], 'ct_b'],
      ]);
    }
    // Each event names one destination, and a click on one message is that recipient's alone.
    expect(s.published.every((e) => (e.detail as { mail: { destination: string[] } }).mail.destination.length === 1)).toBe(true);
    await s.playback.click(tokens[1]!, 'https://acme.example/blog', {});
    expect(s.events('click').map((e) => e.contactId)).toEqual(['ct_b']);
  });
});
