/** A tiny path router: `/campaigns/{campaignId}/send` style templates, one value (route) each. */
export class Router<T> {
  private readonly entries: { method: string; pattern: RegExp; names: string[]; value: T }[] = [];

  on(method: string, template: string, value: T): this {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    this.entries.push({ method, pattern, names, value });
    return this;
  }

  /** The route for a request, or why there is none (404 path, 405 method, with the methods allowed). */
  match(
    method: string,
    path: string,
  ): { value: T; params: Record<string, string> } | { miss: 'not-found' } | { miss: 'method-not-allowed'; allowed: string[] } {
    const allowed: string[] = [];
    for (const entry of this.entries) {
      const m = entry.pattern.exec(path);
      if (!m) continue;
      if (entry.method !== method) {
        allowed.push(entry.method);
        continue;
      }
      const params: Record<string, string> = {};
      for (const [i, name] of entry.names.entries()) {
        try {
          params[name] = decodeURIComponent(m[i + 1]!);
        } catch {
          params[name] = m[i + 1]!; // malformed %-escape: left as is, for the schema to refuse
        }
      }
      return { value: entry.value, params };
    }
    return allowed.length ? { miss: 'method-not-allowed', allowed } : { miss: 'not-found' };
  }
}
