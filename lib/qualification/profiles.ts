import { newId } from '../common/ids';
import type { Clock } from '../common/ports';
import type { CriteriaStore } from './ports';
import type { ProfileStore } from '../contacts/ports';
import { profileInputSchema, type IdealCustomerProfile } from './profile';
import { criteriaFromProfile } from './criteria';
import { ValidationError } from '../common/errors';
import { createCriteria, publishCriteria } from './manage-criteria';

/**
 * Creates an ideal customer profile, and publishes it as version 1 of a criteria set of the same id
 * (the default criteria built from it: the basic rule). Editing that set's draft and publishing
 * deepens the profile with weights, negative rules, decay and hand-raisers.
 */
export async function createProfile(
  deps: { profiles: ProfileStore; criteria: CriteriaStore; clock: Clock },
  input: unknown,
): Promise<IdealCustomerProfile> {
  const parsed = profileInputSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('invalid ideal customer profile', parsed.error.issues);
  const now = deps.clock.now();
  const profile: IdealCustomerProfile = { ...parsed.data, profileId: newId('icp', now), version: 1, createdAt: now.toISOString() };
  await deps.profiles.put(profile);
  await createCriteria(deps, criteriaFromProfile(profile), { criteriaId: profile.profileId });
  await publishCriteria(deps, profile.profileId);
  return profile;
}
