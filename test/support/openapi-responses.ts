import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/**
 * Checks API answers against the committed OpenAPI document: the body of each answer must validate
 * against the schema the document gives for that operation and status. Response schemas are
 * strict (`additionalProperties: false`), so a field the document does not list fails too.
 */
const document = JSON.parse(readFileSync(join(__dirname, '../../docs/openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
};
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(document as object, 'openapi.json');

const pointer = (...tokens: string[]) => tokens.map((t) => encodeURIComponent(t.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

/** The document's template for a concrete path, e.g. /campaigns/cmp_1/send → /campaigns/{campaignId}/send. */
export function templateOf(path: string): string {
  const bare = path.split('?')[0]!;
  const found = Object.keys(document.paths).find((t) => new RegExp(`^${t.replace(/\./g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`).test(bare));
  if (!found) throw new Error(`the OpenAPI document has no path for ${bare}`);
  return found;
}

export function expectDocumented(method: string, path: string, status: number, body: unknown) {
  const template = templateOf(path);
  const operation = document.paths[template]?.[method.toLowerCase()];
  expect(operation, `${method} ${template} is documented`).toBeDefined();
  const response = operation!.responses[String(status)];
  expect(response, `${method} ${template} documents status ${status}`).toBeDefined();
  if (!response!.content?.['application/json']) return;
  const validate = ajv.getSchema(
    `openapi.json#/${pointer('paths', template, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`,
  )!;
  const ok = validate(body);
  expect(ok ? [] : validate.errors, `${method} ${path} → ${status} matches the document`).toEqual([]);
}
