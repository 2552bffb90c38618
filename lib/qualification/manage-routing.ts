import { z } from 'zod';
import { ConflictError, ValidationError } from '../common/errors';
import type { Clock } from '../common/ports';
import type { RoutingStore } from './ports';
import { defaultRoutingRules, routingRulesSchema } from './routing';

/** `PUT /routing`: the whole rule set; `?revision=N` makes the change conditional. */
export const putRoutingRequestSchema = routingRulesSchema;
export const putRoutingQuerySchema = z.object({ revision: z.coerce.number().int().min(0).optional() }).strict();

export async function getRouting(deps: { routing: RoutingStore }, salesInbox: string) {
  const stored = await deps.routing.get();
  return {
    rules: stored?.rules ?? defaultRoutingRules,
    revision: stored?.revision ?? 0,
    updatedAt: stored?.updatedAt ?? null,
    fallbackInbox: salesInbox,
  };
}

export async function putRouting(deps: { routing: RoutingStore; clock: Clock }, input: unknown, query: unknown = {}) {
  const parsed = putRoutingRequestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('invalid routing rules', parsed.error.issues);
  const q = putRoutingQuerySchema.safeParse(query ?? {});
  if (!q.success) throw new ValidationError('invalid query', q.error.issues);
  const current = await deps.routing.get();
  const revision = current?.revision ?? 0;
  if (q.data.revision !== undefined && q.data.revision !== revision)
    throw new ConflictError(`routing is at revision ${revision}, not ${q.data.revision}`);
  const next = { rules: parsed.data, revision: revision + 1, updatedAt: deps.clock.now().toISOString() };
  if (!(await deps.routing.put(next, revision))) throw new ConflictError('routing was changed concurrently; read it again');
  return next;
}
