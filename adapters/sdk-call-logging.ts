/** What the SDK's clients and the document client share: a middleware stack one can take a step out of. */
interface WithMiddlewareStack {
  middlewareStack?: { remove(toRemove: string): boolean };
}

/**
 * Takes the SDK's own call logger out of each client. It hands every call's input and output to
 * the client's `logger`, which this project never sets: our logs are Powertools' and carry ids
 * only (docs/decisions.md). But it first builds a redacted copy of the whole request and response,
 * even for the no-op logger a client has by default (`loggerMiddleware` in @aws-sdk/core), and that
 * copy was 10 % of the report function's CPU on a 100,000-recipient report (docs/benchmarks.md).
 * Tracing (Powertools' own middleware) and retries are separate steps, untouched.
 */
export function withoutSdkCallLogging(...clients: (WithMiddlewareStack | undefined)[]) {
  // A test's stand-in for a client has no stack: nothing to take out.
  for (const client of clients) client?.middlewareStack?.remove('loggerMiddleware');
}
