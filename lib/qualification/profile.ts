import { z } from 'zod';
import { companySizes, seniorities } from '../contacts/contact';

/**
 * An ideal customer profile: the fit half of qualification. Each listed attribute must match one of
 * its values; an attribute left out does not constrain. It is published as version 1 of a criteria
 * set of the same id (`criteriaFromProfile`: the basic rule), which the criteria language deepens
 * with weights, negative rules, decay and hand-raisers (docs/qualification.md).
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
