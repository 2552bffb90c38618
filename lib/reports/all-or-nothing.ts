import type { ReportStore } from './ports';
import type { ReportKeys } from './write-reports';

/**
 * Writes the report's objects together; when any write fails, the others are removed (every
 * version) before the error is thrown, so a failed report leaves no partial objects and its
 * `latest` pointer still names the previous, complete report.
 */
export async function allOrNothing(store: ReportStore, keys: ReportKeys, writes: (() => Promise<void>)[]) {
  const results = await Promise.allSettled(writes.map((write) => write()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return;
  try {
    await store.remove([keys.json, keys.html, keys.recipientsCsv, keys.leadsCsv]);
  } catch (cleanup) {
    throw new AggregateError(
      [failed.reason, cleanup],
      `report not written (${(failed.reason as Error).message}), and its partial objects could not be removed (${(cleanup as Error).message})`,
    );
  }
  throw failed.reason;
}
