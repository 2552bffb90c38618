import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Where the CLI finds the API, and the one setting it saves (`mql config set endpoint <url>`). The
 * first of: --endpoint, MQL_ENDPOINT, MQL_PORT (the local stack's port, as `npm start` reads it),
 * the saved endpoint, http://127.0.0.1:3000. The source is named in every connection error.
 */
export interface EndpointChoice {
  url: string;
  /** e.g. `MQL_PORT=3100`, `saved in ~/.config/mql/config.json`, `the default`. */
  source: string;
}

/** The settings file: $MQL_CONFIG, else $XDG_CONFIG_HOME/mql/config.json, else ~/.config/mql/config.json. */
export function settingsFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.MQL_CONFIG ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'mql', 'config.json');
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): { endpoint?: string } {
  try {
    return JSON.parse(readFileSync(settingsFile(env), 'utf8')) as { endpoint?: string };
  } catch {
    return {}; // none saved (or unreadable: the other sources still apply)
  }
}

export function saveSettings(settings: { endpoint?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const file = settingsFile(env);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
  return file;
}

/** The endpoint when --endpoint is not given, and where it came from. */
export function defaultEndpoint(env: NodeJS.ProcessEnv = process.env): EndpointChoice {
  if (env.MQL_ENDPOINT) return { url: env.MQL_ENDPOINT, source: 'MQL_ENDPOINT' };
  if (env.MQL_PORT) return { url: `http://127.0.0.1:${env.MQL_PORT}`, source: `MQL_PORT=${env.MQL_PORT}` };
  const saved = readSettings(env).endpoint;
  if (saved) return { url: saved, source: `saved in ${settingsFile(env)}` };
  return { url: 'http://127.0.0.1:3000', source: 'the default: the local stack of npm start' };
}
