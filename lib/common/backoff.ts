/**
 * The one backoff formula for every retry we make ourselves (the SDK retries its own calls):
 * exponential growth from `baseMs`, capped at `capMs`, with full jitter by default (AWS
 * Architecture Blog, "Exponential Backoff And Jitter": full jitter spreads retrying clients best).
 */
export interface BackoffOptions {
  /** The delay before the first retry (attempt 0) when there is no jitter. */
  baseMs: number;
  /** No delay exceeds this. @default Infinity */
  capMs?: number;
  /** Growth per attempt. @default 2 */
  factor?: number;
  /**
   * `full`: uniform in [0, delay]; `none`: exactly the delay (where a fixed schedule is wanted,
   * e.g. a queue message's DelaySeconds). @default 'full'
   */
  jitter?: 'full' | 'none';
  /** Source of randomness in [0, 1). @default Math.random */
  random?: () => number;
}

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const { baseMs, capMs = Number.POSITIVE_INFINITY, factor = 2, jitter = 'full', random = Math.random } = options;
  const delay = Math.min(capMs, baseMs * factor ** Math.max(0, attempt));
  return jitter === 'none' ? delay : Math.round(random() * delay);
}

/** Waits the backoff delay of `attempt`. */
export function sleepBackoff(attempt: number, options: BackoffOptions): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, options)));
}
