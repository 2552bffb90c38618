import { z } from 'zod';
import { companySizes, seniorities, type Contact } from './contact';

/**
 * An ideal customer profile: the fit half of qualification. Each listed attribute must match one of
 * its values; an attribute left out does not constrain. The criteria language (weights, negative
 * rules, decay, hand-raisers) deepens this schema; the version recorded on each MQL names which one.
 */
export const profileInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    industries: z.array(z.string().min(1)).min(1).optional(),
    companySizes: z.array(z.enum(companySizes)).min(1).optional(),
    countries: z.array(z.string().length(2).toUpperCase()).min(1).optional(),
    seniorities: z.array(z.enum(seniorities)).min(1).optional(),
  })
  .strict();
export type ProfileInput = z.infer<typeof profileInputSchema>;

export interface IdealCustomerProfile extends ProfileInput {
  profileId: string;
  version: number;
  createdAt: string;
}

export interface FitResult {
  fits: boolean;
  /** Plain-words reasons, one per matched (or failed) attribute, for the sales email. */
  reasons: string[];
}

const checks = [
  ['industries', 'industry', 'industry'],
  ['companySizes', 'companySize', 'company size'],
  ['countries', 'country', 'country'],
  ['seniorities', 'seniority', 'seniority'],
] as const;

export function evaluateFit(contact: Contact, profile: ProfileInput): FitResult {
  const reasons: string[] = [];
  let fits = true;
  for (const [listKey, attribute, label] of checks) {
    const allowed = profile[listKey] as readonly string[] | undefined;
    if (!allowed) continue;
    const value = contact[attribute];
    const ok = value !== undefined && allowed.some((a) => a.toLowerCase() === value.toLowerCase());
    if (ok) reasons.push(`${label} is ${value}`);
    else {
      fits = false;
      reasons.push(`${label} ${value ?? '(unknown)'} is not in the profile`);
    }
  }
  return { fits, reasons };
}
