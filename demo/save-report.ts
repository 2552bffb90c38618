import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

/**
 * Copies a report's files from the local S3 into a folder, so the HTML still opens after the demo
 * (and its stand-ins) stopped. Answers each file's absolute path, by the report's name for it.
 */
export async function saveReportFiles(urls: Record<string, string>, folder: string): Promise<Record<string, string>> {
  await mkdir(folder, { recursive: true });
  const saved: Record<string, string> = {};
  for (const [name, url] of Object.entries(urls)) {
    if (name === 'latest') continue; // a pointer to the others, not a report file
    const response = await fetch(url);
    if (!response.ok) throw new Error(`cannot copy the report's ${name} from the local S3 (HTTP ${response.status})`);
    const file = resolve(join(folder, basename(new URL(url).pathname)));
    await writeFile(file, Buffer.from(await response.arrayBuffer()));
    saved[name] = file;
  }
  return saved;
}
