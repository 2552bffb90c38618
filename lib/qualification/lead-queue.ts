import { z } from 'zod';
import type { Clock, Page } from '../common/ports';
import { leadStages, type Lead } from './lead';
import type { LeadStore } from './ports';
import { followUpDueAt } from './speed-to-lead';

/** `GET /leads`: sales's queue of a campaign's leads, by stage, owner and overdue. */
export const leadQueueQuerySchema = z
  .object({
    campaignId: z.string().min(1).max(100),
    stage: z.enum(leadStages).optional(),
    owner: z.email().optional(),
    /** Only MQLs past their follow-up target (the default 24 h for leads made before follow-up clocks). */
    overdue: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    cursor: z.string().optional(),
  })
  .strict();
export type LeadQueueQuery = z.infer<typeof leadQueueQuerySchema>;

/**
 * A page of a campaign's leads (its MQL list: an index query, never a scan) that match the filters.
 * Filters apply to the page read, so a page may hold fewer leads than were read; follow the cursor.
 */
export async function listLeadQueue(deps: { leads: LeadStore; clock: Clock }, q: LeadQueueQuery): Promise<Page<Lead>> {
  const now = deps.clock.now().toISOString();
  const page = await deps.leads.listByCampaign(q.campaignId, q.cursor);
  const items = page.items.filter(
    (l) =>
      (!q.stage || l.stage === q.stage) &&
      (!q.owner || l.owner.toLowerCase() === q.owner.toLowerCase()) &&
      (q.overdue === undefined || q.overdue === (l.stage === 'mql' && !l.historical && followUpDueAt(l, 24) < now)),
  );
  return { items, ...(page.cursor ? { cursor: page.cursor } : {}) };
}
