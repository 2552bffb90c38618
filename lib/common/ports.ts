/**
 * Ports every feature shares: time and paging. Each port speaks the domain; its AWS adapter lives in
 * adapters/, and the local runtime uses the same adapter pointed at the embedded stand-ins.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface Page<T> {
  items: T[];
  /** Opaque; absent on the last page. */
  cursor?: string;
}
