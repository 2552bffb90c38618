import { z } from 'zod';
import type { Contact } from '../contacts/contact';
import type { RoutedBy } from './lead';

export const followUpRuleSchema = z
  .object({
    /** Hours within which the owner should accept (SAL) a new MQL. @default 24 */
    targetHours: z
      .number()
      .positive()
      .max(24 * 30)
      .default(24),
    /** The reminder to the owner goes at this share of the target. @default 0.5 */
    reminderAt: z.number().gt(0).lt(1).default(0.5),
    /** Count only business hours (Monday–Friday, `startHour`–`endHour` UTC). @default off */
    businessHours: z
      .object({ startHour: z.number().int().min(0).max(23).default(9), endHour: z.number().int().min(1).max(24).default(17) })
      .strict()
      .optional(),
    /** Where an overdue lead escalates when its rule has no next person (a territory team of one, the owner, the inbox). */
    managerInbox: z.email().optional(),
  })
  .strict();

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
            /** This territory's follow-up target in hours, when it differs from `followUp.targetHours`. */
            followUpHours: z
              .number()
              .positive()
              .max(24 * 30)
              .optional(),
          })
          .strict(),
      )
      .max(200)
      .default([]),
    teams: z.record(z.string().min(1).max(100), z.object({ members: z.array(z.email()).min(1).max(200) }).strict()).default({}),
    /** Where a lead goes when no rule names an owner; the deployment's sales inbox when absent. */
    defaultInbox: z.email().optional(),
    /** Speed-to-lead for leads this routing makes (docs/qualification.md, "Speed to lead"). */
    followUp: followUpRuleSchema.default(followUpRuleSchema.parse({})),
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
  /** Who an overdue lead escalates to: the next member of the team, else the manager inbox, else the default inbox. */
  escalateTo: string;
  /** The follow-up target of the rule that routed it. */
  targetHours: number;
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
  const fallback = rules.defaultInbox ?? fallbackInbox;
  const manager = rules.followUp.managerInbox ?? fallback;
  const targetHours = rules.followUp.targetHours;
  if (rules.contactOwnerFirst && contact.owner)
    return { owner: contact.owner, routedBy: 'contact-owner', escalateTo: manager, targetHours };
  const region = contact.region?.toLowerCase();
  const territory = rules.territories.find(
    (t) =>
      (contact.country && t.countries.includes(contact.country.toUpperCase())) ||
      (region && t.regions.some((r) => r.toLowerCase() === region)),
  );
  if (territory) {
    const members = rules.teams[territory.team]!.members;
    const turn = await nextTurn(territory.team);
    const i = ((turn % members.length) + members.length) % members.length;
    return {
      owner: members[i]!,
      routedBy: 'territory',
      territory: territory.name,
      escalateTo: members.length > 1 ? members[(i + 1) % members.length]! : manager,
      targetHours: territory.followUpHours ?? targetHours,
    };
  }
  return { owner: fallback, routedBy: 'default', escalateTo: manager === fallback ? fallbackInbox : manager, targetHours };
}
