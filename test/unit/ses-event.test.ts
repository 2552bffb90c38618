import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { impliedSendOf, parseSesEvent } from '../../lib/engagement/ses-event';

const fixtureDir = join(__dirname, '../fixtures/ses-eventbridge');
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(join(fixtureDir, f), 'utf8'))] as const);

describe('parseSesEvent against every shared fixture', () => {
  it('finds all ten SES event types', () => {
    expect(fixtures).toHaveLength(10);
  });

  it.each(fixtures)('parses %s with our tags and a stable key', (_name, raw) => {
    const result = parseSesEvent(raw);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event.campaignId).toBe('cmp_01JD8Q3V6W');
    expect(result.event.contactId).toBe('ct_01JD8PZK2M');
    expect(result.event.key).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(parseSesEvent(structuredClone(raw))).toEqual(result);
  });

  it('implies, from every other event of a message, the very Send event SES published for it (same key)', () => {
    const parsed = (name: string) => {
      const r = parseSesEvent(structuredClone(fixtures.find(([n]) => n === name)![1]));
      if (!r.ok) throw new Error(r.rejected.reason);
      return r.event;
    };
    const send = parsed('send.json');
    // The fixtures are one message's events (one message id, one mail.timestamp).
    const others = fixtures.filter(([n]) => n !== 'send.json').map(([n]) => n);
    expect(others).toHaveLength(9);
    for (const name of others) expect({ name, implied: impliedSendOf(parsed(name)) }).toEqual({ name, implied: send });
  });

  it('reads the click link, intent tags and actor', () => {
    const click = fixtures.find(([n]) => n === 'click.json')![1];
    const result = parseSesEvent(click);
    expect(result).toMatchObject({
      ok: true,
      event: {
        type: 'click',
        link: 'https://acme.example/pricing?utm_source=email',
        linkTags: { intent: ['pricing'] },
        at: '2026-03-02T15:13:04.998Z',
        sentAt: '2026-03-02T14:00:00.120Z',
      },
    });
  });

  it('reads the bounce type', () => {
    const bounce = fixtures.find(([n]) => n === 'bounce.json')![1];
    expect(parseSesEvent(bounce)).toMatchObject({ ok: true, event: { type: 'bounce', bounceType: 'Permanent' } });
  });

  it('gives the same key to one event delivered under two EventBridge ids', () => {
    const open = fixtures.find(([n]) => n === 'open.json')![1];
    const again = { ...structuredClone(open), id: 'another-envelope-id' };
    const a = parseSesEvent(open);
    const b = parseSesEvent(again);
    expect(a.ok && b.ok && a.event.key === b.event.key).toBe(true);
  });

  it('accepts unknown fields', () => {
    const open = structuredClone(fixtures.find(([n]) => n === 'open.json')![1]);
    open.detail.open.newField = { anything: 1 };
    open.detail.somethingNew = true;
    expect(parseSesEvent(open).ok).toBe(true);
  });

  it('rejects an event without our tags, naming why', () => {
    const open = structuredClone(fixtures.find(([n]) => n === 'open.json')![1]);
    delete open.detail.mail.tags.campaignId;
    expect(parseSesEvent(open)).toEqual({
      ok: false,
      rejected: { eventId: open.id, reason: 'not ours: missing or invalid campaignId/contactId tags' },
    });
  });

  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['another source', { source: 'aws.s3', 'detail-type': 'x', detail: {} }],
  ])('rejects %s as not an SES event', (_label, raw) => {
    const result = parseSesEvent(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejected.reason).toMatch(/^not an SES event/);
  });

  it('rejects an unknown eventType and a click without a link', () => {
    const click = structuredClone(fixtures.find(([n]) => n === 'click.json')![1]);
    expect(parseSesEvent({ ...click, detail: { ...click.detail, eventType: 'Teleport' } })).toMatchObject({
      ok: false,
      rejected: { reason: 'unknown SES eventType "Teleport"' },
    });
    delete click.detail.click.link;
    const result = parseSesEvent(click);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejected.reason).toMatch(/^malformed Click event: click.link/);
  });
});
