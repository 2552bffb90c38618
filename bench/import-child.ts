import { apiClient } from '../cli/http-client';
import { importFile } from '../cli/import';

/**
 * The CLI's import in a process of its own, so its memory is measured apart from the embedded
 * stack's (dynalite keeps every item in memory): `bench/import.ts` runs it and reads its answer.
 */
const [endpoint, file] = process.argv.slice(2) as [string, string];
let peakHeap = 0;
const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
const started = performance.now();
const summary = await importFile(apiClient(endpoint), file);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
process.stdout.write(
  `${JSON.stringify({ summary, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, peakHeapMiB: peakHeap / 1024 / 1024 })}\n`,
);
