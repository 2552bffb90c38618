import { Faker, base, en } from '@faker-js/faker';
import type { ContactInput } from '../lib/contacts/contact';
import type { ProfileInput } from '../lib/qualification/profile';

/**
 * A synthetic B2B audience, the same for the same seed (faker, seeded): contacts cluster in
 * companies that have one industry, size and country; titles match seniority; every address is at
 * a reserved `.example` domain, so nothing can reach a real person.
 */
const industries = [
  'Software',
  'Financial Services',
  'Healthcare',
  'Manufacturing',
  'Retail',
  'Logistics',
  'Education',
  'Media',
  'Energy',
  'Government',
] as const;
const sizes = ['1-10', '11-50', '51-200', '201-1000', '1001-5000', '5001+'] as const;
const countries: [string, number][] = [
  ['US', 30],
  ['GB', 12],
  ['DE', 11],
  ['FR', 7],
  ['NL', 6],
  ['SE', 4],
  ['CA', 7],
  ['AU', 5],
  ['IN', 7],
  ['BR', 4],
  ['JP', 3],
  ['ES', 4],
];
const ladder = [
  ['entry', ['Associate', 'Coordinator', 'Analyst']],
  ['mid', ['Specialist', 'Engineer', 'Consultant']],
  ['senior', ['Senior Engineer', 'Senior Analyst', 'Lead Consultant']],
  ['manager', ['Marketing Manager', 'Engineering Manager', 'Operations Manager']],
  ['director', ['Director of Marketing', 'Director of Engineering', 'Director of Operations']],
  ['vp', ['VP Sales', 'VP Engineering', 'VP Finance']],
  ['c-level', ['CTO', 'CFO', 'COO', 'CMO']],
] as const;
const seniorityWeights = [18, 24, 18, 18, 11, 7, 4];

export const demoProfile: ProfileInput = {
  name: 'Mid-market and enterprise buyers in software, finance, healthcare and manufacturing',
  industries: ['Software', 'Financial Services', 'Healthcare', 'Manufacturing'],
  companySizes: ['51-200', '201-1000', '1001-5000', '5001+'],
  seniorities: ['senior', 'manager', 'director', 'vp', 'c-level'],
};

export function generateAudience({ size = 2000, seed = 42 }: { size?: number; seed?: number } = {}): ContactInput[] {
  const faker = new Faker({ locale: [en, base] });
  faker.seed(seed);
  const weighted = <T>(items: readonly T[], weights: readonly number[]) =>
    faker.helpers.weightedArrayElement(items.map((value, i) => ({ value, weight: weights[i]! })));
  const companyCount = Math.max(1, Math.round(size / 5));
  const companies = Array.from({ length: companyCount }, (_, i) => {
    const name = faker.company.name().replace(/[^A-Za-z0-9 &-]/g, '');
    const slug = `${name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40)}-${i}`;
    return {
      name,
      domain: `${slug}.example`,
      industry: faker.helpers.arrayElement(industries),
      companySize: weighted(sizes, [10, 18, 24, 24, 14, 10]),
      country: weighted(
        countries.map(([c]) => c),
        countries.map(([, w]) => w),
      ),
    };
  });
  const seen = new Set<string>();
  const out: ContactInput[] = [];
  while (out.length < size) {
    const company = faker.helpers.arrayElement(companies);
    const firstName = faker.person.firstName();
    const lastName = faker.person.lastName();
    const personal = faker.number.float() < 0.04;
    const local = `${firstName}.${lastName}`
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z.]/g, '');
    let email = personal ? `${local}${faker.number.int(99)}@mail.example` : `${local}@${company.domain}`;
    for (let n = 2; seen.has(email); n++) email = email.replace(/(\d*)@/, `${n}@`);
    seen.add(email);
    const [seniority, titles] = weighted(ladder, seniorityWeights);
    out.push({
      email,
      firstName,
      lastName,
      company: company.name,
      industry: company.industry,
      companySize: company.companySize,
      country: company.country,
      role: faker.helpers.arrayElement(titles),
      seniority,
      consent: faker.number.float() < 0.97,
    });
  }
  return out;
}
