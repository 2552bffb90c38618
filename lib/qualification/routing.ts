import { z } from 'zod';
import type { Contact } from '../contacts/contact';
import type { RoutedBy } from './lead';

/**
 * Who gets a new MQL, decided once when the lead is made: the contact's existing owner first, then
 * the first territory whose countries or regions include the contact (round-robin within its
 * team), then the default inbox. An owned lead is never silently reassigned.
 */
export const routingRulesSchema = z
  .object({
    /** Route to the contact's `owner` when it has one. @default true */
    contactOwnerFirst: z.boolean().default(true),
    territories: z
      .array(
        z
          .object({
            name: z.string().min(1).max(100),
            countries: z.array(z.string().length(2).toUpperCase()).max(300).default([]),
            regions: z.array(z.string().min(1).max(50)).max(100).default([]),
            team: z.string().min(1).max(100),
          })
          .strict(),
      )
      .max(200)
      .default([]),
    teams: z.record(z.string().min(1).max(100), z.object({ members: z.array(z.email()).min(1).max(200) }).strict()).default({}),
    /** Where a lead goes when no rule names an owner; the deployment's sales inbox when absent. */
    defaultInbox: z.email().optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    r.territories.forEach((t, i) => {
      if (!r.teams[t.team])
        ctx.addIssue({ code: 'custom', path: ['territories', i, 'team'], message: `team ${t.team} is not defined in teams` });
      if (!t.countries.length && !t.regions.length)
        ctx.addIssue({ code: 'custom', path: ['territories', i], message: 'a territory needs countries or regions' });
    });
  });
export type RoutingRules = z.infer<typeof routingRulesSchema>;
export const defaultRoutingRules: RoutingRules = routingRulesSchema.parse({});

export interface RoutingDecision {
  owner: string;
  routedBy: RoutedBy;
  territory?: string;
}

/**
 * Routes a contact. `nextTurn(team)` returns a counter that grows by one per call (an atomic counter
 * in the store), so members of a team take turns.
 */
export async function route(
  rules: RoutingRules,
  contact: Pick<Contact, 'owner' | 'country' | 'region'>,
  fallbackInbox: string,
  nextTurn: (team: string) => Promise<number>,
): Promise<RoutingDecision> {
  if (rules.contactOwnerFirst && contact.owner) return { owner: contact.owner, routedBy: 'contact-owner' };
  const region = contact.region?.toLowerCase();
  const territory = rules.territories.find(
    (t) =>
      (contact.country && t.countries.includes(contact.country.toUpperCase())) ||
      (region && t.regions.some((r) => r.toLowerCase() === region)),
  );
  if (territory) {
    const members = rules.teams[territory.team]!.members;
    const turn = await nextTurn(territory.team);
    return {
      owner: members[((turn % members.length) + members.length) % members.length]!,
      routedBy: 'territory',
      territory: territory.name,
    };
  }
  return { owner: rules.defaultInbox ?? fallbackInbox, routedBy: 'default' };
}
