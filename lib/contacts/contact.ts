import { z } from 'zod';

export const seniorities = ['entry', 'mid', 'senior', 'manager', 'director', 'vp', 'c-level', 'owner'] as const;
export const companySizes = ['1-10', '11-50', '51-200', '201-1000', '1001-5000', '5001+'] as const;
export const ageBands = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] as const;

/** Why a contact may no longer be mailed. Only an explicit re-subscription clears it, never an import. */
export const suppressionReasons = ['unsubscribed', 'bounced', 'complained', 'erased'] as const;
export type SuppressionReason = (typeof suppressionReasons)[number];

/** What an import or the API may set on a contact. */
export const contactInputSchema = z
  .object({
    email: z.email().max(254),
    firstName: z.string().max(100).optional(),
    lastName: z.string().max(100).optional(),
    company: z.string().max(200).optional(),
    industry: z.string().max(100).optional(),
    companySize: z.enum(companySizes).optional(),
    country: z.string().length(2).toUpperCase().optional(),
    role: z.string().max(200).optional(),
    seniority: z.enum(seniorities).optional(),
    /** Sales region or territory, e.g. `EMEA`; routing rules may use it beside the country. */
    region: z.string().min(1).max(50).optional(),
    ageBand: z.enum(ageBands).optional(),
    /** Free-form band as the source system names it, e.g. `100k-250k`. */
    incomeBand: z.string().min(1).max(50).optional(),
    /** Categories of interest, e.g. `analytics`, `security`. */
    interests: z.array(z.string().min(1).max(100)).max(50).optional(),
    /** The contact asked to be contacted (a form's "contact me"): a hand-raiser. */
    contactMe: z.boolean().optional(),
    /** The salesperson who owns this contact; new MQLs are routed to them first. */
    owner: z.email().optional(),
    consent: z.boolean().default(false),
  })
  .strict();
export type ContactInput = z.input<typeof contactInputSchema>;

/**
 * What `PATCH /contacts/{id}` may change: any attribute but the email (the id derives from it), and
 * consent. Fields left out stay as they are; at least one must be given.
 */
export const contactPatchSchema = contactInputSchema
  .omit({ email: true, consent: true })
  .partial()
  .extend({
    consent: z.boolean().optional().meta({
      description:
        '`false` withdraws consent (the contact is excluded from every later send and from the rest of a send in progress); `true` records an opt-in, refused (409) for a suppressed contact.',
    }),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'give at least one field to change' })
  .meta({ id: 'ContactPatch' });
export type ContactPatch = z.output<typeof contactPatchSchema>;

export interface Contact {
  contactId: string;
  email: string;
  firstName?: string;
  lastName?: string;
  company?: string;
  industry?: string;
  companySize?: (typeof companySizes)[number];
  country?: string;
  role?: string;
  seniority?: (typeof seniorities)[number];
  region?: string;
  ageBand?: (typeof ageBands)[number];
  incomeBand?: string;
  interests?: string[];
  contactMe?: boolean;
  owner?: string;
  consent: boolean;
  /** When the person withdrew consent (import row or PATCH with consent false); only a PATCH with consent true clears it. */
  consentWithdrawnAt?: string;
  /** When consent was last given through PATCH (an explicit re-opt-in). */
  consentGivenAt?: string;
  /** Set once a contact must not be mailed again; never cleared by an import. */
  suppressed?: SuppressionReason;
  suppressedAt?: string;
  /** Set when the person's data was erased: the item is then a tombstone holding only the id. */
  erasedAt?: string;
  createdAt: string;
  updatedAt: string;
}

export function displayName(contact: Pick<Contact, 'firstName' | 'lastName' | 'email'>): string {
  const name = [contact.firstName, contact.lastName].filter(Boolean).join(' ');
  return name || contact.email;
}

/** Where a contact stands for mailing, as the contact list filters it. */
export const contactStatuses = ['mailable', 'no-consent', 'suppressed', 'unsubscribed', 'bounced', 'complained'] as const;
export type ContactStatus = (typeof contactStatuses)[number];

/** Filters for listing contacts: each one given narrows the list; values match exactly (case-sensitive). */
export interface ContactFilter {
  industry?: string;
  country?: string;
  companySize?: (typeof companySizes)[number];
  seniority?: (typeof seniorities)[number];
  region?: string;
  owner?: string;
  /** The contact lists this category among its interests. */
  interest?: string;
  status?: ContactStatus;
}

/** The filter's meaning, in memory; the DynamoDB adapter evaluates the same rules server-side. */
export function matchesFilter(contact: Contact, filter: ContactFilter): boolean {
  const equal = ['industry', 'country', 'companySize', 'seniority', 'region', 'owner'] as const;
  for (const key of equal) if (filter[key] !== undefined && contact[key] !== filter[key]) return false;
  if (filter.interest !== undefined && !contact.interests?.includes(filter.interest)) return false;
  switch (filter.status) {
    case undefined:
      return true;
    case 'mailable':
      return contact.consent && !contact.suppressed;
    case 'no-consent':
      return !contact.consent && !contact.suppressed;
    case 'suppressed':
      return Boolean(contact.suppressed);
    default:
      return contact.suppressed === filter.status;
  }
}

/** The domain of an address (after its last @), lower-cased: what segments and fit rules call `emailDomain`. */
export function emailDomainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}
