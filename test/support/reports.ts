import { parse } from 'csv-parse/sync';
import type { LocalRuntime } from '../../infra/local/runtime';
import type { Lead } from '../../lib/qualification/lead';

/** A JSON call to the local API, answering status and body (errors included). */
export async function callApi<T = Record<string, unknown>>(runtime: LocalRuntime, method: string, path: string, body?: unknown) {
  const response = await fetch(runtime.apiUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

export async function fetchText(url: string): Promise<{ status: number; text: string; contentType: string | null; bytes: Buffer }> {
  const response = await fetch(url);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, text: bytes.toString('utf8'), contentType: response.headers.get('content-type'), bytes };
}

/** Rows of a report CSV as objects, read as a spreadsheet would (BOM stripped, quotes honoured). */
export const parseCsv = (text: string) => parse(text, { columns: true, bom: true }) as Record<string, string>[];

/** Sales feedback through the application (the same use case as `POST /leads/{contactId}/feedback`). */
export async function giveFeedback(
  runtime: LocalRuntime,
  contactId: string,
  feedback:
    | { action: 'accept' }
    | { action: 'qualify' }
    | { action: 'reject'; reason: 'no-budget' }
    | { action: 'stage'; stage: 'meeting' },
) {
  await runtime.app.leadFeedback(contactId, feedback);
}

/** A whole Lead for report tests and the benchmark; criteria kept under both names, as qualification writes them. */
export function makeLead(contactId: string, campaignId: string, over: Partial<Lead> = {}): Lead {
  const at = over.qualifiedAt ?? '2026-03-02T10:00:00.000Z';
  const base: Lead = {
    leadId: `ld_${contactId}`,
    contactId,
    lifecycle: 1,
    campaignId,
    criteriaId: 'icp_a',
    criteriaVersion: 1,
    profileId: 'icp_a',
    profileVersion: 1,
    qualifiedAt: at,
    reasons: ['Fit: industry is Software', 'Engagement: clicked pricing'],
    fit: { score: 1, threshold: 1, matched: [] },
    engagement: { score: 1, threshold: 1, contributions: [] },
    handRaiser: false,
    trigger: { kind: 'click', linkUrl: 'https://acme.example/pricing', clickedAt: at, at },
    stage: 'mql',
    stageHistory: [],
    owner: 'sales@acme.example',
    routedBy: 'default',
  };
  const l = { ...base, ...over };
  const criteriaId = over.criteriaId ?? over.profileId ?? base.criteriaId;
  const criteriaVersion = over.criteriaVersion ?? over.profileVersion ?? base.criteriaVersion;
  return { ...l, criteriaId, profileId: criteriaId, criteriaVersion, profileVersion: criteriaVersion };
}
