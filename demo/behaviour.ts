import { Faker, base, en } from '@faker-js/faker';

/**
 * How the simulated audience treats a campaign, the same for the same seed. Behaviour depends on
 * who they are: senior people in the profile's industries open and click more; personal addresses
 * bounce more; some sit behind Apple Mail Privacy Protection (a machine open minutes after
 * delivery) or a corporate link scanner (every link clicked within seconds of sending).
 */
export type SimulatedAction =
  | { kind: 'bounce'; contactId: string; bounceType: 'Permanent' | 'Transient' }
  | { kind: 'open'; contactId: string; at: string; userAgent: string; ipAddress: string }
  | { kind: 'click'; contactId: string; at: string; link: string; userAgent: string; ipAddress: string };

export interface AudienceMember {
  contactId: string;
  email: string;
  industry?: string;
  seniority?: string;
}

const browsers = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0',
];
const keen = new Set(['Software', 'Financial Services', 'Healthcare']);
const senior = new Set(['manager', 'director', 'vp', 'c-level']);

/** Who bounces: decided before delivery, so the local SES plays a Bounce instead of a Delivery. */
export function bounceOutcome(member: AudienceMember, seed: number): 'Permanent' | 'Transient' | undefined {
  const faker = new Faker({ locale: [en, base] });
  faker.seed([seed, ...[...member.contactId].map((c) => c.charCodeAt(0))]);
  const r = faker.number.float();
  const hard = member.email.endsWith('@mail.example') ? 0.08 : 0.015;
  if (r < hard) return 'Permanent';
  if (r < hard + 0.005) return 'Transient';
  return undefined;
}

/**
 * Opens and clicks of the delivered audience, with times relative to `sentAt` (all after it).
 * Links are the message's own (the demo clicks them through the tracking endpoints).
 */
export function simulateEngagement(input: { members: AudienceMember[]; links: string[]; sentAt: Date; seed: number }): SimulatedAction[] {
  const faker = new Faker({ locale: [en, base] });
  faker.seed(input.seed);
  const at = (secondsAfter: number) => new Date(input.sentAt.getTime() + secondsAfter * 1000).toISOString();
  const actions: SimulatedAction[] = [];
  for (const m of input.members) {
    const ip = faker.internet.ipv4();
    const ua = faker.helpers.arrayElement(browsers);
    const interest = (keen.has(m.industry ?? '') ? 1.4 : 1) * (senior.has(m.seniority ?? '') ? 1.25 : 1);
    if (faker.number.float() < 0.15) {
      // Apple Mail Privacy Protection: the proxy fetches the pixel once delivered, person or not.
      actions.push({
        kind: 'open',
        contactId: m.contactId,
        at: at(faker.number.int({ min: 60, max: 1800 })),
        userAgent: 'Mozilla/5.0',
        ipAddress: `17.${faker.number.int(255)}.${faker.number.int(255)}.${faker.number.int(255)}`,
      });
    }
    if (faker.number.float() < 0.02) {
      // A security gateway follows every link within seconds.
      const second = faker.number.int({ min: 1, max: 4 });
      for (const link of input.links) {
        actions.push({
          kind: 'click',
          contactId: m.contactId,
          at: at(second),
          link,
          userAgent: 'Mozilla/5.0 (compatible; Barracuda Sentinel)',
          ipAddress: '203.0.113.10',
        });
      }
    }
    const opens = faker.number.float() < 0.27 * interest;
    const imagesBlocked = faker.number.float() < 0.1;
    if (!opens) continue;
    const firstOpen = faker.number.int({ min: 120, max: 36 * 3600 });
    const openCount = faker.helpers.weightedArrayElement([
      { value: 1, weight: 6 },
      { value: 2, weight: 3 },
      { value: 3, weight: 1 },
    ]);
    if (!imagesBlocked) {
      for (let i = 0; i < openCount; i++)
        actions.push({
          kind: 'open',
          contactId: m.contactId,
          at: at(firstOpen + i * faker.number.int({ min: 300, max: 7200 })),
          userAgent: ua,
          ipAddress: ip,
        });
    }
    if (faker.number.float() < 0.14 * interest && input.links.length) {
      const clicks = faker.number.float() < 0.25 ? 2 : 1;
      for (let i = 0; i < clicks; i++) {
        actions.push({
          kind: 'click',
          contactId: m.contactId,
          at: at(firstOpen + 20 + i * faker.number.int({ min: 30, max: 900 })),
          link: faker.helpers.arrayElement(input.links),
          userAgent: ua,
          ipAddress: ip,
        });
      }
    }
  }
  return actions.sort((a, b) => ('at' in a ? a.at : '').localeCompare('at' in b ? b.at : '') || a.contactId.localeCompare(b.contactId));
}
