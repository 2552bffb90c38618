/**
 * The CLI's HTTP client of the API. Locally it calls the loopback API as is; against a deployed API
 * it signs each request with SigV4 (see sigv4.ts). Throttling, 5xx and network failures are retried
 * a few times with backoff; every API call the CLI makes is safe to repeat (upserts, reads, and the
 * send request, which carries an Idempotency-Key).
 */
export interface ApiClient {
  request<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: { code?: string; message?: string; details?: unknown } },
  ) {
    super(body.error?.message ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

export type RequestSigner = (request: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}) => Promise<Record<string, string>>;

export interface ApiClientOptions {
  signer?: RequestSigner;
  /** @default 3 */
  retries?: number;
  /** @default 200 */
  backoffMs?: number;
  /** Where the endpoint came from (`--endpoint`, `MQL_PORT=3100`, …), named when it cannot be reached. */
  endpointSource?: string;
}

const retryable = (status: number) => status === 429 || status === 502 || status === 503 || status === 504;

export function apiClient(endpoint: string, options: ApiClientOptions = {}): ApiClient {
  const base = endpoint.replace(/\/+$/, '');
  const retries = options.retries ?? 3;
  return {
    async request<T>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
      const url = new URL(base + path);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      for (let attempt = 0; ; attempt++) {
        let headers: Record<string, string> = { accept: 'application/json', ...extra };
        if (payload) headers['content-type'] = 'application/json';
        if (options.signer) headers = await options.signer({ method, url, headers, body: payload });
        delete headers.host; // fetch sets it (to the value that was signed)
        let response: Response;
        try {
          response = await fetch(url, { method, headers, body: payload });
        } catch (error) {
          if (attempt < retries) {
            await sleep(attempt, options.backoffMs);
            continue;
          }
          const reason = (error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
          throw new Error(
            `cannot reach the API at ${base} (endpoint from ${options.endpointSource ?? '--endpoint'}; ${reason}): is it running (npm start)? ` +
              'Choose it with --endpoint, MQL_ENDPOINT, MQL_PORT or `mql config set endpoint <url>`.',
          );
        }
        const text = await response.text();
        let parsed: unknown = {};
        try {
          parsed = text ? JSON.parse(text) : {};
        } catch {
          parsed = { error: { message: `HTTP ${response.status}: the answer is not JSON` } };
        }
        if (response.ok) return parsed as T;
        if (retryable(response.status) && attempt < retries) {
          await sleep(attempt, options.backoffMs);
          continue;
        }
        if (response.status === 403 && !(parsed as { error?: unknown }).error) {
          // API Gateway's own refusal ({ message }) when the signature or the IAM policy is wrong.
          throw new ApiError(403, {
            error: {
              code: 'FORBIDDEN',
              message: `forbidden: ${(parsed as { message?: string }).message ?? 'check your AWS credentials, region and IAM permissions (execute-api:Invoke)'}`,
            },
          });
        }
        throw new ApiError(response.status, parsed as ApiError['body']);
      }
    },
  };
}

const sleep = (attempt: number, base = 200) => new Promise((r) => setTimeout(r, base * 2 ** attempt + Math.random() * base));
