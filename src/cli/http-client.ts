/**
 * The CLI's HTTP client of the API. Locally it calls the loopback API as is; against a deployed API
 * it signs requests with SigV4 from the standard AWS credential chain (see `signer`).
 */
export interface ApiClient {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: { error?: { code?: string; message?: string; details?: unknown } }) {
    super(body.error?.message ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

export type RequestSigner = (request: { method: string; url: URL; headers: Record<string, string>; body?: string }) => Promise<Record<string, string>>;

export function apiClient(endpoint: string, signer?: RequestSigner): ApiClient {
  const base = endpoint.replace(/\/+$/, '');
  return {
    async request<T>(method: string, path: string, body?: unknown) {
      const url = new URL(base + path);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      let headers: Record<string, string> = { accept: 'application/json', host: url.host };
      if (payload) headers['content-type'] = 'application/json';
      if (signer) headers = await signer({ method, url, headers, body: payload });
      delete headers.host; // fetch sets it
      const response = await fetch(url, { method, headers, body: payload });
      const text = await response.text();
      const parsed = text ? JSON.parse(text) : {};
      if (!response.ok) throw new ApiError(response.status, parsed);
      return parsed as T;
    },
  };
}
