import { describe, expect, it } from 'vitest';
import type { Contact } from '../../lib/contacts/contact';
import { criteriaDocumentSchema, criteriaFromProfile, type CriteriaInput } from '../../lib/qualification/criteria';
import { evaluate, evaluateFit, testCondition, type Activity } from '../../lib/qualification/evaluate';

const contact = (extra: Partial<Contact> = {}): Contact => ({
  contactId: 'ct_1',
  email: 'dana.lee@northwind.example',
  firstName: 'Dana',
  company: 'Northwind',
  industry: 'Software',
  companySize: '201-1000',
  country: 'DE',
  region: 'EMEA',
  role: 'VP Engineering',
  seniority: 'vp',
  ageBand: '35-44',
  interests: ['analytics', 'security'],
  consent: true,
  createdAt: '',
  updatedAt: '',
  ...extra,
});
const criteria = (input: Partial<CriteriaInput> = {}) => criteriaDocumentSchema.parse({ name: 'test', ...input });
const click = (at: string, extra: Partial<Activity> = {}): Activity => ({
  key: `cmp_1:click:${at}`,
  contactId: 'ct_1',
  kind: 'click',
  at,
  campaignId: 'cmp_1',
  linkUrl: 'https://acme.example/pricing',
  ...extra,
});
const cond = (c: unknown, who: Contact = contact()) =>
  testCondition(criteriaDocumentSchema.shape.exclusions.parse([{ name: 'x', when: c }])[0]!.when, who);

describe('criteria operators', () => {
  it('equals: case-insensitive on text, strict on booleans, any element of a list', () => {
    expect(cond({ attribute: 'industry', op: 'equals', value: 'software' })).toBe(true);
    expect(cond({ attribute: 'industry', op: 'equals', value: 'Retail' })).toBe(false);
    expect(cond({ attribute: 'contactMe', op: 'equals', value: true }, contact({ contactMe: true }))).toBe(true);
    expect(cond({ attribute: 'contactMe', op: 'equals', value: true })).toBe(false);
    expect(cond({ attribute: 'interests', op: 'equals', value: 'Security' })).toBe(true);
  });

  it('in: one of the values, on text or lists', () => {
    expect(cond({ attribute: 'country', op: 'in', values: ['FR', 'DE'] })).toBe(true);
    expect(cond({ attribute: 'country', op: 'in', values: ['FR', 'US'] })).toBe(false);
    expect(cond({ attribute: 'interests', op: 'in', values: ['billing', 'analytics'] })).toBe(true);
    expect(cond({ attribute: 'region', op: 'in', values: ['emea'] })).toBe(true);
  });

  it('range: ordered bands of company size, seniority and age band, bounds included', () => {
    expect(cond({ attribute: 'companySize', op: 'range', min: '51-200', max: '1001-5000' })).toBe(true);
    expect(cond({ attribute: 'companySize', op: 'range', min: '1001-5000' })).toBe(false);
    expect(cond({ attribute: 'seniority', op: 'range', min: 'director' })).toBe(true);
    expect(cond({ attribute: 'seniority', op: 'range', max: 'vp', min: 'vp' })).toBe(true);
    expect(cond({ attribute: 'ageBand', op: 'range', max: '25-34' })).toBe(false);
    expect(cond({ attribute: 'seniority', op: 'range', min: 'director' }, contact({ seniority: undefined }))).toBe(false);
  });

  it('pattern: RE2 syntax, case-insensitive unless asked, linear time on hostile input', () => {
    expect(cond({ attribute: 'email', op: 'pattern', pattern: '@northwind\\.example$' })).toBe(true);
    expect(cond({ attribute: 'role', op: 'pattern', pattern: '^vp\\b' })).toBe(true);
    expect(cond({ attribute: 'role', op: 'pattern', pattern: '^vp\\b', caseSensitive: true })).toBe(false);
    const hostile = contact({ role: `${'a'.repeat(5000)}!` });
    expect(cond({ attribute: 'role', op: 'pattern', pattern: '^(a+)+$' }, hostile)).toBe(false);
  });

  it('exists: known or unknown, empty lists count as unknown', () => {
    expect(cond({ attribute: 'role', op: 'exists' })).toBe(true);
    expect(cond({ attribute: 'owner', op: 'exists' })).toBe(false);
    expect(cond({ attribute: 'owner', op: 'exists', value: false })).toBe(true);
    expect(cond({ attribute: 'interests', op: 'exists' }, contact({ interests: [] }))).toBe(false);
  });

  it('all, any and not combine conditions; emailDomain is derived from the email', () => {
    expect(
      cond({
        all: [
          { attribute: 'country', op: 'equals', value: 'DE' },
          { attribute: 'emailDomain', op: 'equals', value: 'northwind.example' },
        ],
      }),
    ).toBe(true);
    expect(
      cond({
        any: [
          { attribute: 'country', op: 'equals', value: 'US' },
          { attribute: 'industry', op: 'equals', value: 'Software' },
        ],
      }),
    ).toBe(true);
    expect(cond({ not: { attribute: 'country', op: 'equals', value: 'DE' } })).toBe(false);
  });

  it('refuses malformed criteria with the path and the problem', () => {
    const bad = (fit: unknown) => criteriaDocumentSchema.safeParse({ name: 'x', fit: { rules: [fit] } });
    const messages = (r: ReturnType<typeof bad>) => (r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    expect(messages(bad({ name: 'r', when: { attribute: 'industry', op: 'range', min: 'a' } })).join()).toMatch(/ordered attribute/);
    expect(messages(bad({ name: 'r', when: { attribute: 'seniority', op: 'range', min: 'vp', max: 'entry' } })).join()).toMatch(
      /max is below min/,
    );
    expect(messages(bad({ name: 'r', when: { attribute: 'role', op: 'pattern', pattern: '(a' } })).join()).toMatch(
      /not a valid RE2 pattern/,
    );
    expect(messages(bad({ name: 'r', when: { attribute: 'shoeSize', op: 'exists' } })).length).toBeGreaterThan(0);
    expect(criteriaDocumentSchema.safeParse({ name: 'x', engagement: { events: { 'Webinar Attended': 5 } } }).success).toBe(false);
    expect(criteriaDocumentSchema.safeParse({ name: 'x', surprise: true }).success).toBe(false);
  });
});

describe('fit: weights, required rules and negative rules', () => {
  const weighted = criteria({
    fit: {
      threshold: 30,
      rules: [
        { name: 'target industry', when: { attribute: 'industry', op: 'in', values: ['Software', 'Healthcare'] }, points: 20 },
        { name: 'decision maker', when: { attribute: 'seniority', op: 'range', min: 'director' }, points: 15 },
        { name: 'junior', when: { attribute: 'seniority', op: 'range', max: 'mid' }, points: -25 },
        { name: 'has consent', when: { attribute: 'consent', op: 'equals', value: true }, required: true },
      ],
    },
    exclusions: [
      { name: 'competitor', when: { attribute: 'emailDomain', op: 'in', values: ['rival.example'] } },
      { name: 'personal address', when: { attribute: 'emailDomain', op: 'pattern', pattern: '^(gmail|yahoo|hotmail|mail)\\.' } },
      {
        name: 'student',
        when: {
          any: [
            { attribute: 'role', op: 'pattern', pattern: 'student' },
            { attribute: 'email', op: 'pattern', pattern: '\\.edu$' },
          ],
        },
      },
      { name: 'excluded country', when: { attribute: 'country', op: 'in', values: ['KP', 'IR'] } },
    ],
  });

  it('adds the weights of matching rules and compares with the threshold', () => {
    expect(evaluateFit(weighted, contact())).toMatchObject({ passed: true, score: 35 });
    expect(evaluateFit(weighted, contact({ seniority: 'entry' }))).toMatchObject({ passed: false, score: -5 });
    expect(evaluateFit(weighted, contact({ consent: false })).failedRequired).toEqual(['has consent: needs consent is true']);
  });

  it('an exclusion disqualifies whatever the score, and says which', () => {
    for (const [who, rule] of [
      [contact({ email: 'ceo@rival.example' }), 'competitor'],
      [contact({ email: 'dana@gmail.com' }), 'personal address'],
      [contact({ role: 'PhD Student' }), 'student'],
      [contact({ email: 'dana@uni.edu' }), 'student'],
      [contact({ country: 'KP' }), 'excluded country'],
    ] as const) {
      const fit = evaluateFit(weighted, who);
      expect(fit.passed).toBe(false);
      expect(fit.excludedBy).toMatch(new RegExp(`^${rule} \\(`));
    }
  });
});

describe('engagement, decay, thresholds and hand-raisers', () => {
  it('the default criteria reproduce the basic rule: one human click by a fitting contact', () => {
    const basic = criteriaFromProfile({ name: 'ICP', industries: ['Software'], seniorities: ['vp', 'c-level'] });
    const r = evaluate(basic, contact(), [click('2026-03-02T14:10:00.000Z')]);
    expect(r).toMatchObject({ qualified: true, qualifiedAt: '2026-03-02T14:10:00.000Z', handRaiser: false });
    expect(r.reasons).toEqual([
      'Fit: industry is Software',
      'Fit: seniority is vp',
      'Engagement: clicked https://acme.example/pricing at 2026-03-02T14:10:00.000Z (+10)',
      'Engagement score 10 (threshold 10)',
    ]);
    const open: Activity = { key: 'cmp_1:open', contactId: 'ct_1', kind: 'open', at: '2026-03-02T14:05:00.000Z', campaignId: 'cmp_1' };
    expect(evaluate(basic, contact(), [open]).qualified).toBe(false);
    expect(evaluate(basic, contact({ industry: 'Retail' }), [click('2026-03-02T14:10:00.000Z')]).qualified).toBe(false);
    expect(evaluate(basic, contact(), [click('2026-03-02T14:10:00.000Z', { machine: true })]).qualified).toBe(false);
  });

  it('scores link intents, opens and API events, and qualifies at the moment the threshold is reached', () => {
    const c = criteria({
      engagement: { humanClick: 5, humanOpen: 2, intents: { pricing: 10 }, events: { 'webinar-attended': 8 }, threshold: 25 },
    });
    const acts: Activity[] = [
      { key: 'cmp_1:open', contactId: 'ct_1', kind: 'open', at: '2026-03-01T10:00:00.000Z', campaignId: 'cmp_1' },
      click('2026-03-02T10:00:00.000Z', { intent: 'pricing' }),
      { key: 'event:w1', contactId: 'ct_1', kind: 'event', at: '2026-03-03T10:00:00.000Z', eventType: 'webinar-attended' },
      click('2026-03-04T10:00:00.000Z', { key: 'other' }),
    ];
    const r = evaluate(c, contact(), acts);
    expect(r.qualified).toBe(true);
    expect(r.qualifiedAt).toBe('2026-03-03T10:00:00.000Z'); // 2 + 15 + 8 = 25
    expect(r.engagement.score).toBe(25);
    expect(r.trigger?.eventType).toBe('webinar-attended');
    expect(evaluate(c, contact(), acts.slice(0, 2)).qualified).toBe(false);
    // The order activities are given in does not matter.
    expect(evaluate(c, contact(), [...acts].reverse()).qualifiedAt).toBe(r.qualifiedAt);
  });

  it('decays each activity by its age: half after the half-life', () => {
    const c = criteria({ engagement: { humanClick: 10, threshold: 15, decay: { halfLifeDays: 30 } } });
    const first = click('2026-01-01T00:00:00.000Z', { key: 'a' });
    // 30 days later the first click is worth 5: 5 + 10 = 15 qualifies …
    expect(evaluate(c, contact(), [first, click('2026-01-31T00:00:00.000Z', { key: 'b' })])).toMatchObject({
      qualified: true,
      engagement: { score: 15 },
    });
    // … 60 days later it is worth 2.5: not enough.
    const late = evaluate(c, contact(), [first, click('2026-03-02T00:00:00.000Z', { key: 'b' })]);
    expect(late.qualified).toBe(false);
    expect(late.engagement.score).toBe(12.5);
    expect(late.engagement.contributions.map((x) => x.worth)).toEqual([2.5, 10]);
    // Without decay both clicks count in full.
    expect(
      evaluate(criteria({ engagement: { humanClick: 10, threshold: 15 } }), contact(), [
        first,
        click('2026-03-02T00:00:00.000Z', { key: 'b' }),
      ]).qualified,
    ).toBe(true);
  });

  it('hand-raisers qualify on fit alone: a contact-sales link, a listed event, or a contact who asked', () => {
    const c = criteria({
      fit: { rules: [{ name: 'software', when: { attribute: 'industry', op: 'equals', value: 'Software' }, required: true }] },
      engagement: { humanClick: 1, threshold: 100 },
      handRaiser: { intents: ['contact-sales'], events: ['demo-requested'], contactMe: true },
    });
    const sales = click('2026-03-02T10:00:00.000Z', { intent: 'contact-sales' });
    expect(evaluate(c, contact(), [sales])).toMatchObject({ qualified: true, handRaiser: true });
    expect(evaluate(c, contact(), [sales]).reasons).toContain(
      'Hand-raiser: clicked https://acme.example/pricing (intent contact-sales) at 2026-03-02T10:00:00.000Z',
    );
    expect(
      evaluate(c, contact(), [
        { key: 'event:d', contactId: 'ct_1', kind: 'event', at: '2026-03-02T10:00:00.000Z', eventType: 'demo-requested' },
      ]).handRaiser,
    ).toBe(true);
    expect(evaluate(c, contact({ contactMe: true }), [click('2026-03-02T10:00:00.000Z')]).handRaiser).toBe(true);
    expect(evaluate(c, contact(), [click('2026-03-02T10:00:00.000Z')]).qualified).toBe(false);
    // Fit still applies, and a machine click raises no hand.
    expect(evaluate(c, contact({ industry: 'Retail' }), [sales]).qualified).toBe(false);
    expect(evaluate(c, contact(), [{ ...sales, machine: true }]).qualified).toBe(false);
  });

  it('after a rejection only later activity counts, and not before the cool-down ends', () => {
    const c = criteria({ engagement: { humanClick: 10, threshold: 10 } });
    const acts = [
      click('2026-01-01T00:00:00.000Z', { key: 'a' }),
      click('2026-02-01T00:00:00.000Z', { key: 'b' }),
      click('2026-05-01T00:00:00.000Z', { key: 'c' }),
    ];
    const options = { since: '2026-01-15T00:00:00.000Z', notBefore: '2026-04-15T00:00:00.000Z' };
    const r = evaluate(c, contact(), acts, options);
    expect(r.qualifiedAt).toBe('2026-05-01T00:00:00.000Z');
    expect(evaluate(c, contact(), acts.slice(0, 2), options).qualified).toBe(false);
  });
});
