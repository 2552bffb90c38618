import { z } from 'zod';
import { profileInputSchema } from '../../../lib/qualification/profile';
import { defineRoute, type Route } from '../contract';
import { idPattern, isoTime } from './common';

/** Ideal customer profiles (the criteria language and its versions deepen in criteria.ts). */

const profileIdParams = z.object({ profileId: z.string().regex(idPattern, 'must be a profile id such as icp_…') });

export const profileSchema = z
  .object({ ...profileInputSchema.shape, profileId: z.string(), version: z.number().int(), createdAt: isoTime })
  .meta({ id: 'IdealCustomerProfile' });

export const profileRoutes: Route[] = [
  defineRoute({
    method: 'POST',
    path: '/profiles',
    operationId: 'createProfile',
    summary: 'Create an ideal customer profile',
    tags: ['profiles'],
    body: { json: profileInputSchema },
    responses: { 201: { description: 'The profile, version 1.', schema: profileSchema } },
    handle: async ({ app, body }) => ({ status: 201, body: await app.createProfile(body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/profiles/{profileId}',
    operationId: 'getProfile',
    summary: "Get a profile's latest version",
    tags: ['profiles'],
    params: profileIdParams,
    responses: { 200: { description: 'The profile.', schema: profileSchema } },
    errors: [404],
    handle: async ({ app, params }) => ({ status: 200, body: await app.getProfile(params.profileId) }),
  }),
];
