/**
 * Campaign deltas (see recordEngagement): their ids sort by creation time, a container remembers
 * the ones it knows are counted, and those older than the in-flight grace can be compacted.
 */

/** Delta ids are `newId('d')`: the prefix, then the creation time in base 36, so they sort by time. */
export const DELTA_ID_PREFIX = 'd_';

/**
 * Deltas whose id (time-sortable, see `newId`) is older than this can no longer be in flight: a
 * writer creates its id at the start of a batch and writes within the function's timeout.
 */
export function compactionCutoff(now: Date, inFlightGraceMs: number): string {
  return `${DELTA_ID_PREFIX}${(now.getTime() - Math.max(inFlightGraceMs, 60_000)).toString(36)}`;
}

/**
 * Deltas a live read sums at most (a stats request, the handler's compaction): 500 small
 * items (one Query page), whatever backlog a campaign has. Reports read them all.
 */
export const DELTAS_PER_READ = 500;

/** A bounded memory of delta ids known to be written (per container; lost on a cold start, harmlessly). */
export class CountedDeltas {
  private ids = new Set<string>();
  constructor(private readonly capacity = 20_000) {}
  has(id: string) {
    return this.ids.has(id);
  }
  add(id: string) {
    if (this.ids.size >= this.capacity) this.ids = new Set([...this.ids].slice(this.capacity / 2));
    this.ids.add(id);
  }
}
