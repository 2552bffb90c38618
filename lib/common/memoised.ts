/**
 * Caches a successful answer for `ttlMs`, by the clock `now` (the system's by default); a failure
 * is not cached, and the next call loads again.
 */
export function memoised<T>(ttlMs: number, load: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let cached: { value: Promise<T>; at: number } | undefined;
  return () => {
    if (!cached || now() - cached.at > ttlMs) {
      const value = load();
      cached = { value, at: now() };
      // Only if it is still the answer held: a newer load may have replaced it meanwhile.
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
    }
    return cached.value;
  };
}
