import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../../cli/http-client';
import { isLoopback, regionOfEndpoint, sigV4Signer } from '../../cli/sigv4';

/**
 * The CLI signs requests to a deployed API with SigV4 from the standard credential chain. A local
 * server plays API Gateway's part: it recomputes the signature of the request exactly as received
 * (method, host, path, query, body) with the same credentials and compares.
 */
const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const received: { req: IncomingMessage; body: string }[] = [];
let url: string;
let server: ReturnType<typeof createServer>;
const saved = { ...process.env };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ req, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  process.env = saved;
  server.close();
});

async function verify({ req, body }: { req: IncomingMessage; body: string }, region: string) {
  const target = new URL(req.url!, url);
  const signed = /SignedHeaders=([^,]+)/.exec(req.headers.authorization ?? '')![1]!.split(';');
  expect(signed).toEqual(expect.arrayContaining(['host', 'x-amz-date']));
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => signed.includes(k))) as Record<string, string>;
  const amzDate = headers['x-amz-date']!;
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const expected = await new SignatureV4({ service: 'execute-api', region, credentials, sha256: Sha256 }).sign(
    {
      method: req.method!,
      protocol: 'http:',
      hostname: target.hostname,
      port: Number(target.port),
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      headers,
      body: body || undefined,
    },
    { signingDate },
  );
  return { given: req.headers.authorization, expected: expected.headers.authorization };
}

describe('SigV4 signing for a deployed API', () => {
  it('signs method, host, path, query, headers and body with credentials from the standard chain (environment here)', async () => {
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    process.env.AWS_SESSION_TOKEN = credentials.sessionToken;
    delete process.env.AWS_PROFILE;
    const client = apiClient(url, { signer: sigV4Signer({ region: 'eu-west-1' }) });
    await client.request('POST', '/campaigns/cmp_1/send?dryRun=no&x=a%20b', { hello: 'wörld' }, { 'idempotency-key': 'k-1' });
    await client.request('GET', '/contacts?industry=Software&limit=5');
    for (const r of received) {
      expect(r.req.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
      );
      expect(r.req.headers['x-amz-security-token']).toBe(credentials.sessionToken);
      const { given, expected } = await verify(r, 'eu-west-1');
      expect(given).toBe(expected);
    }
    // The signed payload hash is the hash of the body as sent; a changed body would not match it.
    const bodyHash = (body: string) => createHash('sha256').update(body).digest('hex');
    expect(received[0]!.req.headers['x-amz-content-sha256']).toBe(bodyHash(received[0]!.body));
    expect(received[0]!.req.headers['x-amz-content-sha256']).not.toBe(bodyHash('{"hello":"world"}'));
  });

  it('signs only for non-loopback endpoints, and reads the region from an API Gateway host', () => {
    expect(['http://127.0.0.1:3000', 'http://localhost:3000', 'http://[::1]:3000'].map(isLoopback)).toEqual([true, true, true]);
    expect(isLoopback('https://abc123.execute-api.eu-west-1.amazonaws.com')).toBe(false);
    expect(regionOfEndpoint('https://abc123.execute-api.eu-west-1.amazonaws.com/prod')).toBe('eu-west-1');
    expect(regionOfEndpoint('https://api.acme.example')).toBeUndefined();
  });
});
