import { describe, expect, it } from 'vitest';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import { computeMetrics } from '../../lib/engagement/metrics';
import { addCounters, applyEvent, emptyRecipient, project, type Counters } from '../../lib/engagement/recipient';
import type { EngagementEvent } from '../../lib/engagement/ses-event';
import { criteriaFromProfile } from '../../lib/qualification/criteria';
import { evaluateFit } from '../../lib/qualification/evaluate';
import type { ProfileInput } from '../../lib/qualification/profile';
import type { Contact } from '../../lib/contacts/contact';

const sentAt = '2026-03-02T14:00:00.000Z';
let n = 0;
const event = (type: EngagementEvent['type'], secondsAfterSend: number, extra: Partial<EngagementEvent> = {}): EngagementEvent => ({
  key: `k${++n}`,
  type,
  campaignId: 'cmp_1',
  contactId: 'ct_1',
  messageId: 'm1',
  sentAt,
  at: new Date(Date.parse(sentAt) + secondsAfterSend * 1000).toISOString(),
  userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0',
  ...extra,
});

const fold = (events: EngagementEvent[]) => events.reduce((s, e) => applyEvent(s, e, defaultMachineRules), emptyRecipient('cmp_1', 'ct_1'));
const metricsOf = (...recipients: EngagementEvent[][]) => {
  const total: Counters = {};
  for (const r of recipients) addCounters(total, project(fold(r), defaultMachineRules));
  return computeMetrics(total);
};

describe("a recipient's engagement and the campaign metrics", () => {
  it('counts a click without a recorded open as an open, so CTOR never exceeds 100 %', () => {
    const m = metricsOf([event('delivery', 2), event('click', 600, { link: 'https://a.example/x' })]);
    expect(m.uniqueOpens).toBe(1);
    expect(m.uniqueClicks).toBe(1);
    expect(m.rates.clickToOpenRate).toBe(1);
  });

  it('keeps uniques per recipient and totals beside them', () => {
    const m = metricsOf([event('delivery', 2), event('open', 600), event('open', 900), event('open', 1200)], [event('delivery', 2)]);
    expect(m).toMatchObject({ delivered: 2, uniqueOpens: 1, totalOpens: 3 });
    expect(m.rates.openRate).toBe(0.5);
  });

  it('does not count unsubscribe or preference link clicks as clicks', () => {
    const m = metricsOf([
      event('delivery', 2),
      event('click', 600, { link: 'https://a.example/u/t', linkTags: { intent: ['unsubscribe'] } }),
      event('click', 700, { link: 'https://a.example/prefs', linkTags: { intent: ['preferences'] } }),
    ]);
    expect(m.uniqueClicks).toBe(0);
    expect(m.totalClicks).toBe(0);
  });

  it('flags a privacy-proxy open and a scanner click but keeps them in the all figures', () => {
    const m = metricsOf([
      event('delivery', 2),
      event('open', 300, { userAgent: 'Mozilla/5.0', ipAddress: '17.1.2.3' }),
      event('click', 3, { link: 'https://a.example/x' }),
    ]);
    expect(m.uniqueOpens).toBe(1);
    expect(m.uniqueClicks).toBe(1);
    expect(m.human).toEqual({ uniqueOpens: 0, uniqueClicks: 0, totalOpens: 0, totalClicks: 0 });
    expect(m.machineFlags).toEqual({ 'privacy-proxy': 1, 'too-fast': 1 });
  });

  it('flags every link clicked in the same second as a scanner burst, whatever order they arrive in', () => {
    const burst = ['a', 'b', 'c'].map((l) => event('click', 120, { link: `https://a.example/${l}` }));
    const inOrder = metricsOf([event('delivery', 2), ...burst]);
    const reversed = metricsOf([...burst].reverse().concat(event('delivery', 2)));
    expect(inOrder.human.uniqueClicks).toBe(0);
    expect(inOrder.machineFlags['link-burst']).toBe(3);
    expect(reversed).toEqual(inOrder);
  });

  it('lets a permanent bounce outrank a transient one in either order', () => {
    const transientFirst = fold([event('bounce', 2, { bounceType: 'Transient' }), event('bounce', 60, { bounceType: 'Permanent' })]);
    const permanentFirst = fold([event('bounce', 60, { bounceType: 'Permanent' }), event('bounce', 2, { bounceType: 'Transient' })]);
    expect(transientFirst.bounceType).toBe('Permanent');
    expect(permanentFirst.bounceType).toBe('Permanent');
  });

  it('ignores an event applied twice', () => {
    const e = event('open', 600);
    const once = fold([e]);
    expect(applyEvent(once, e, defaultMachineRules)).toBe(once);
  });

  it('divides bounces by sent and the other rates by delivered, and reports null for an empty campaign', () => {
    const m = metricsOf(
      [event('send', 0), event('bounce', 2, { bounceType: 'Permanent' })],
      [event('send', 0), event('delivery', 2), event('complaint', 99)],
    );
    expect(m.rates.bounceRate).toBe(0.5);
    expect(m.rates.complaintRate).toBe(1);
    expect(computeMetrics({}).rates.openRate).toBeNull();
  });

  it('keeps per-link and hourly figures', () => {
    const m = metricsOf([
      event('delivery', 2),
      event('open', 600),
      event('click', 700, { link: 'https://a.example/x' }),
      event('click', 800, { link: 'https://a.example/x' }),
    ]);
    expect(m.links).toEqual([expect.objectContaining({ uniqueClicks: 1, totalClicks: 2, humanUniqueClicks: 1, humanClicks: 2 })]);
    expect(m.hourly).toEqual([{ hour: '2026-03-02T14', opens: 1, humanOpens: 1, clicks: 2, humanClicks: 2 }]);
  });
});

describe('fit to the ideal customer profile (its default criteria)', () => {
  const fitOf = (c: Contact, p: ProfileInput) => evaluateFit(criteriaFromProfile(p), c);
  const contact: Contact = {
    contactId: 'ct_1',
    email: 'a@b.example',
    consent: true,
    createdAt: '',
    updatedAt: '',
    industry: 'Software',
    companySize: '201-1000' as const,
    country: 'DE',
    seniority: 'director' as const,
  };
  it('fits when every listed attribute matches, with a reason per attribute', () => {
    const fit = fitOf(contact, { name: 'ICP', industries: ['software'], countries: ['DE', 'GB'], seniorities: ['director', 'vp'] });
    expect(fit.passed).toBe(true);
    expect(fit.matched.map((m) => m.reason)).toEqual(['industry is Software', 'country is DE', 'seniority is director']);
  });
  it('does not fit when one attribute is outside the profile or unknown', () => {
    expect(fitOf(contact, { name: 'ICP', companySizes: ['1-10'] }).passed).toBe(false);
    const unknown = fitOf({ ...contact, industry: undefined }, { name: 'ICP', industries: ['Software'] });
    expect(unknown).toMatchObject({ passed: false, failedRequired: ['industry: needs industry is Software'] });
  });
});
