import { Validator } from '@seriousme/openapi-schema-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeApiHandler } from '../../functions/api/handler';
import { buildOpenApiDocument } from '../../functions/api/openapi';
import { routes } from '../../functions/api/routes';
import type { App } from '../../lib/app';

const committed = JSON.parse(readFileSync(join(__dirname, '../../docs/openapi.json'), 'utf8'));

describe('the OpenAPI document', () => {
  it('committed under docs/ equals the one generated from the route table (run `npm run openapi` after changing a route)', () => {
    expect(JSON.parse(JSON.stringify(buildOpenApiDocument()))).toEqual(committed);
  });

  it('validates as OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(committed));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every route the handler serves, and nothing else', () => {
    const documented = Object.entries(committed.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('is served at GET /openapi.json, the same document', async () => {
    const handler = makeApiHandler({} as App);
    const result = await handler({ rawPath: '/openapi.json', requestContext: { http: { method: 'GET' } }, headers: {} } as never);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!)).toEqual(committed);
  });

  it('requires IAM (SigV4) everywhere but the signed unsubscribe link', () => {
    expect(committed.security).toEqual([{ sigv4: [] }]);
    const open = Object.entries(committed.paths as Record<string, Record<string, { security?: unknown[] }>>).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
        .map(([m]) => `${m} ${path}`),
    );
    expect(open.sort()).toEqual(['get /u/{token}', 'post /u/{token}']);
  });
});
