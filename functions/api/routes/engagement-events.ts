import { z } from 'zod';
import { leadStages } from '../../../lib/qualification/lead';
import { engagementEventRequestSchema } from '../../../lib/qualification/record-engagement-event';
import { defineRoute, type Route } from '../contract';
import { contactIdParams, isoTime } from './common';

/** Engagement events from outside email (webinar attended, pricing page viewed, …), scored by qualification. */

export const engagementEventResultSchema = z
  .looseObject({
    contactId: z.string(),
    activityKey: z.string(),
    recorded: z.boolean().meta({ description: 'False when this event id had been recorded already.' }),
    qualification: z.enum(['qualified', 'already-lead', 'not-qualified', 'customer', 'no-criteria']),
    lead: z.looseObject({ leadId: z.string(), stage: z.enum(leadStages), owner: z.string(), qualifiedAt: isoTime }).optional(),
  })
  .meta({ id: 'EngagementEventResult' });

export const engagementEventRoutes: Route[] = [
  defineRoute({
    method: 'POST',
    path: '/contacts/{contactId}/engagement',
    operationId: 'recordEngagementEvent',
    summary: 'Record an engagement event from outside email (webinar attended, pricing page viewed, …)',
    description:
      "Scored by the criteria's `engagement.events`; may qualify the contact at once. With `eventId`, posting it again records nothing new (200).",
    tags: ['qualification'],
    params: contactIdParams,
    body: { json: engagementEventRequestSchema },
    responses: {
      201: { description: 'Recorded, and evaluated.', schema: engagementEventResultSchema },
      200: { description: 'Recorded before; evaluated again.', schema: engagementEventResultSchema },
    },
    errors: [404],
    handle: async ({ app, params, body }) => {
      const result = await app.recordEngagementEvent(params.contactId, body);
      return { status: result.recorded ? 201 : 200, body: result };
    },
  }),
];
