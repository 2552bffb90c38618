import { newId } from '../ids';
import type { Clock, ProfileStore } from '../ports';
import { profileInputSchema, type IdealCustomerProfile } from '../profile';
import { ValidationError } from '../errors';

export async function createProfile(deps: { profiles: ProfileStore; clock: Clock }, input: unknown): Promise<IdealCustomerProfile> {
  const parsed = profileInputSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('invalid ideal customer profile', parsed.error.issues);
  const now = deps.clock.now();
  const profile: IdealCustomerProfile = { ...parsed.data, profileId: newId('icp', now), version: 1, createdAt: now.toISOString() };
  await deps.profiles.put(profile);
  return profile;
}
