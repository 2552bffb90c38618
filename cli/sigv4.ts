import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import type { RequestSigner } from './http-client';

/**
 * Signs API requests with AWS Signature Version 4 for API Gateway's IAM authorization (service
 * `execute-api`), with credentials from the standard AWS chain: environment variables, the shared
 * config and credentials files (`AWS_PROFILE`, SSO), web identity, container and instance roles.
 */
export function sigV4Signer(options: { region: string; profile?: string }): RequestSigner {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: fromNodeProviderChain(options.profile ? { profile: options.profile } : {}),
    sha256: Sha256,
  });
  return async ({ method, url, headers, body }) => {
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? [query[k]!].flat().concat(v) : v;
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      body,
    });
    return signed.headers as Record<string, string>;
  };
}

/** The region of an API Gateway endpoint (`https://abc123.execute-api.eu-west-1.amazonaws.com`), if it names one. */
export function regionOfEndpoint(endpoint: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(new URL(endpoint).hostname)?.[1];
}

/** Loopback endpoints (the local runtime) are called unsigned; anything else is signed. */
export function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
