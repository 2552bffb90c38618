/** Caches a successful answer for `ttlMs`; a failure is not cached. */
export function memoised<T>(ttlMs: number, load: () => Promise<T>): () => Promise<T> {
  let cached: { value: Promise<T>; at: number } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      const value = load();
      cached = { value, at: Date.now() };
      value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
}
