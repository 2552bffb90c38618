import { z } from 'zod';
import { ConflictError, ConcurrentUpdateError, NotFoundError, ValidationError } from '../common/errors';
import { newId } from '../common/ids';
import type { Clock } from '../common/ports';
import type { CriteriaStore } from './ports';
import { criteriaDocumentSchema, type CriteriaDraft, type CriteriaVersion } from './criteria';
import { assertApproved, currentApprovals } from './approvals';

/** `POST /criteria`: the body is a criteria document (docs/qualification.md). */
export const createCriteriaRequestSchema = criteriaDocumentSchema;
/** `PUT /criteria/{criteriaId}/draft`: the whole document; `?revision=N` makes the edit conditional. */
export const editDraftRequestSchema = criteriaDocumentSchema;
export const editDraftQuerySchema = z.object({ revision: z.coerce.number().int().positive().optional() }).strict();
/** `POST /criteria/{criteriaId}/publish`: optional body. */
export const publishRequestSchema = z
  .object({
    /** Also make this set the default (it evaluates engagement events posted with no campaign). */
    makeDefault: z.boolean().default(false),
  })
  .strict()
  .default({ makeDefault: false });

type Deps = { criteria: CriteriaStore; clock: Clock };

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ValidationError(`invalid ${what}`, parsed.error.issues);
  return parsed.data;
}

export async function createCriteria(deps: Deps, input: unknown, options: { criteriaId?: string } = {}): Promise<CriteriaDraft> {
  const document = parse(createCriteriaRequestSchema, input, 'criteria');
  const now = deps.clock.now();
  const draft: CriteriaDraft = {
    criteriaId: options.criteriaId ?? newId('crit', now),
    document,
    revision: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  if (!(await deps.criteria.createDraft(draft))) throw new ConflictError(`criteria ${draft.criteriaId} exists already`);
  return draft;
}

async function draftOf(deps: Deps, criteriaId: string): Promise<CriteriaDraft> {
  const draft = await deps.criteria.getDraft(criteriaId);
  if (!draft) throw new NotFoundError(`criteria ${criteriaId} does not exist`);
  return draft;
}

/** Replaces the draft (published versions never change). With `revision`, only if nobody edited since. */
export async function editDraft(deps: Deps, criteriaId: string, input: unknown, query: unknown = {}): Promise<CriteriaDraft> {
  const document = parse(editDraftRequestSchema, input, 'criteria');
  const { revision } = parse(editDraftQuerySchema, query ?? {}, 'query');
  const current = await draftOf(deps, criteriaId);
  if (revision !== undefined && revision !== current.revision) {
    throw new ConflictError(`the draft is at revision ${current.revision}, not ${revision}: someone edited it since; read it again`);
  }
  const next: CriteriaDraft = { ...current, document, revision: current.revision + 1, updatedAt: deps.clock.now().toISOString() };
  if (!(await deps.criteria.saveDraft(next, current.revision)))
    throw new ConcurrentUpdateError('the draft was edited concurrently; read it again');
  return next;
}

/**
 * Publishes the draft as the next immutable version. Publishing a draft that has not changed since
 * its last publication answers that version (a retried publish never makes two).
 */
export async function publishCriteria(
  deps: Deps,
  criteriaId: string,
  input: unknown = {},
): Promise<{ version: CriteriaVersion; published: boolean; isDefault: boolean }> {
  const { makeDefault } = parse(publishRequestSchema, input ?? {}, 'publish request');
  const draft = await draftOf(deps, criteriaId);
  const latest = await deps.criteria.getVersion(criteriaId);
  let version: CriteriaVersion;
  let published = false;
  if (latest && latest.fromRevision === draft.revision) {
    version = latest;
  } else {
    assertApproved(draft, latest);
    const approvals = currentApprovals(draft);
    version = {
      criteriaId,
      version: (latest?.version ?? 0) + 1,
      document: draft.document,
      fromRevision: draft.revision,
      publishedAt: deps.clock.now().toISOString(),
      ...(approvals.length ? { approvals } : {}),
    };
    if (!(await deps.criteria.putVersion(version)))
      throw new ConflictError(`version ${version.version} of ${criteriaId} was published concurrently; retry`);
    published = true;
  }
  if (draft.publishedRevision !== draft.revision) {
    await deps.criteria.saveDraft({ ...draft, publishedRevision: draft.revision, latestVersion: version.version }, draft.revision);
  }
  // The first set ever published becomes the default, so engagement events always have criteria.
  await deps.criteria.setDefault(criteriaId, !makeDefault);
  const isDefault = (await deps.criteria.getDefault()) === criteriaId;
  return { version, published, isDefault };
}

export async function getCriteria(deps: Deps, criteriaId: string) {
  const draft = await draftOf(deps, criteriaId);
  const versions = await deps.criteria.listVersions(criteriaId);
  const isDefault = (await deps.criteria.getDefault()) === criteriaId;
  return {
    criteriaId,
    isDefault,
    draft: {
      revision: draft.revision,
      updatedAt: draft.updatedAt,
      unpublishedChanges: draft.publishedRevision !== draft.revision,
      document: draft.document,
      approvals: currentApprovals(draft),
    },
    latestVersion: versions.at(-1)?.version ?? null,
    versions: versions.map((v) => ({
      version: v.version,
      publishedAt: v.publishedAt,
      name: v.document.name,
      approvals: v.approvals ?? [],
    })),
  };
}

export async function getCriteriaVersion(deps: Deps, criteriaId: string, version: number): Promise<CriteriaVersion> {
  const v = await deps.criteria.getVersion(criteriaId, version);
  if (!v) throw new NotFoundError(`criteria ${criteriaId} has no version ${version}`);
  return v;
}

export async function listCriteriaVersions(deps: Deps, criteriaId: string) {
  await draftOf(deps, criteriaId);
  return { criteriaId, items: await deps.criteria.listVersions(criteriaId) };
}
