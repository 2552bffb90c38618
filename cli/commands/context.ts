import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { ApiError, apiClient, type ApiClient } from '../http-client';
import { defaultEndpoint } from '../settings';
import { isLoopback, regionOfEndpoint, sigV4Signer } from '../sigv4';

/** Where the CLI writes: tests run it in-process with their own streams. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Where the progress bar draws. @default process.stderr */
  progressStream?: NodeJS.WritableStream;
}

/** The program's global options, as commander parsed them. */
export interface GlobalOptions {
  /** Absent when not given: then MQL_ENDPOINT, MQL_PORT, the saved setting or the default (../settings.ts). */
  endpoint?: string;
  region?: string;
  profile?: string;
  sign: boolean;
  json?: boolean;
}

/** What every command needs from the program: the API client, the output and a few readers. */
export interface CommandContext {
  io: CliIo;
  /** `--json`: print machine-readable JSON only. */
  json: () => boolean;
  /** The API client for `--endpoint`, signing with SigV4 unless the endpoint is loopback or `--no-sign`. */
  client: () => ApiClient;
  /** Prints the value as JSON under `--json`, else the human text. */
  print: (value: unknown, human: () => string) => void;
  readJson: (file: string) => Promise<unknown>;
  /** A contact named by id or by email (looked up). */
  contactIdOf: (idOrEmail: string) => Promise<string>;
}

/** Options are read when a command runs, after commander parsed them. */
export function commandContext(program: Command, io: CliIo): CommandContext {
  const opts = () => program.opts<GlobalOptions>();
  const client = (): ApiClient => apiClientFor(opts());
  return {
    io,
    json: () => Boolean(opts().json),
    client,
    print: (value, human) => io.out(opts().json ? JSON.stringify(value, null, 2) : human()),
    readJson,
    contactIdOf: async (idOrEmail) => {
      if (!idOrEmail.includes('@')) return idOrEmail;
      const page = await client().request<{ items: { contactId: string }[] }>('GET', `/contacts?email=${encodeURIComponent(idOrEmail)}`);
      if (!page.items[0]) throw new ApiError(404, { error: { code: 'NOT_FOUND', message: `no contact with the email ${idOrEmail}` } });
      return page.items[0].contactId;
    },
  };
}

function apiClientFor({ endpoint: given, region, profile, sign }: GlobalOptions): ApiClient {
  const { url: endpoint, source: endpointSource } = given ? { url: given, source: '--endpoint' } : defaultEndpoint();
  if (!sign || isLoopback(endpoint)) return apiClient(endpoint, { endpointSource });
  const signingRegion = region ?? regionOfEndpoint(endpoint) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!signingRegion) throw new Error('cannot tell the AWS region to sign for: pass --region or set AWS_REGION');
  return apiClient(endpoint, { endpointSource, signer: sigV4Signer({ region: signingRegion, profile }) });
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(`cannot read ${file} as JSON: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** A rate as a percentage with two decimals; — when there is none. */
export const pct = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(2)} %`);

/** The items of a comma-separated option. */
export const listOf = (v?: string) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
