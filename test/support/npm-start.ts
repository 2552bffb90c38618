import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../..');

/** `npm start` in a process of its own, as a reader runs it: what it printed once ready, and how to stop it. */
export interface NpmStart {
  printed: string;
  stop(): Promise<void>;
}

/** Starts `infra/local/start.ts` on `port` (MQL_PORT) and resolves once it prints its ready banner. */
export async function startNpmStart(port: number): Promise<NpmStart> {
  const server = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'infra/local/start.ts'], {
    cwd: root,
    env: { ...process.env, MQL_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      if (printed.includes('Replay a captured SES event')) resolve();
    });
    server.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    server.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${printed}`)));
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
