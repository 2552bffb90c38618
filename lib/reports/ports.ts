/**
 * What reports need: where they are written, and the report function for large ones. Each port speaks
 * the domain; its AWS adapter lives in adapters/, and the local runtime uses the same adapter pointed
 * at the embedded stand-ins.
 */
import type { ReportJob } from './job';

export interface ReportStore {
  put(key: string, body: string, contentType: string): Promise<void>;
  /** Writes a body of unknown length as it is produced: memory stays at one upload part. */
  putStream(key: string, body: AsyncIterable<string>, contentType: string): Promise<void>;
  /** A URL a person can open (presigned on AWS, plain on the local stand-in). */
  urlFor(key: string): Promise<string>;
  /** How long `urlFor`'s URLs work, in seconds; undefined when they do not expire (local). */
  readonly urlLifetimeSeconds?: number;
  /** Every key under `prefix`, in key order. */
  list(prefix: string): Promise<string[]>;
  /** The object's text; undefined when there is none. */
  get(key: string): Promise<string | undefined>;
  /** Deletes the objects and, in a versioned bucket, every version of them: nothing is left to restore. */
  remove(keys: string[]): Promise<void>;
  /**
   * Deletes every version of the key but the current one (a versioned bucket keeps overwritten
   * objects as noncurrent versions: copies of what a rewrite meant to remove). Nothing to do unversioned.
   */
  removeEarlierVersions(key: string): Promise<void>;
}

/** Hands a report to the report function, which writes it in the background (large reports on demand). */
export interface ReportJobs {
  start(job: ReportJob): Promise<void>;
}
