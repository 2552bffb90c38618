import { z } from 'zod';

/** Path parameters, queries and answer parts several resources share. */

export const idPattern = /^[A-Za-z0-9_-]{1,128}$/;

export const contactIdParams = z.object({
  contactId: z
    .string()
    .regex(
      /^ct2?_[A-Za-z0-9_-]{1,64}$/,
      'must be a contact id such as ct2_q8Zr0bK3nT5wVx1yA4cD7eF9gH2; to find a contact by email, use GET /contacts?email=…',
    )
    .meta({
      description:
        'The contact id (`ct2_…`, keyed; a contact stored before keyed ids has its `ct_…` id until the re-keying migration runs).',
    }),
});
export const campaignIdParams = z.object({
  campaignId: z.string().regex(idPattern, 'must be a campaign id such as cmp_…').meta({ description: 'The campaign id (`cmp_…`).' }),
});

export const pageQuery = z
  .object({
    cursor: z.string().min(1).max(4096).optional().meta({ description: 'The `cursor` of the previous page, as given; opaque.' }),
    limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'Items per page (1–100).' }),
  })
  .strict();
export const cursorQuery = z
  .object({ cursor: z.string().min(1).max(4096).optional().meta({ description: 'The `cursor` of the previous page; opaque.' }) })
  .strict();

export const isoTime = z.string().meta({ description: 'ISO 8601 time (UTC)', example: '2026-03-02T14:00:00.000Z' });

/** A page of `item`s, named `id` in the document. */
export const page = <T extends z.ZodType>(item: T, id: string) =>
  z
    .object({
      items: z.array(item),
      cursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent on the last page. Opaque.' }),
    })
    .meta({ id });
