import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../..');

/** `npm start` in a process of its own, as a reader runs it: what it printed once ready, and how to stop it. */
export interface NpmStart {
  printed: string;
  stop(): Promise<void>;
}

/**
 * Starts `infra/local/start.ts` on `port` (MQL_PORT) and resolves once it prints its ready banner.
 * Without the banner within `timeoutMs` it stops the process and rejects with what it printed, so a
 * slow or stuck start is diagnosable and leaves no server behind holding its ports.
 */
export async function startNpmStart(port: number, timeoutMs = 100_000): Promise<NpmStart> {
  const server = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'infra/local/start.ts'], {
    cwd: root,
    env: { ...process.env, MQL_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      server.kill('SIGTERM');
      reject(new Error(`npm start printed no ready banner within ${timeoutMs} ms:\n${printed}`));
    }, timeoutMs);
    server.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      if (printed.includes('Replay a captured SES event')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}):\n${printed}`));
    });
  });
  return {
    printed,
    async stop() {
      if (server.exitCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    },
  };
}
