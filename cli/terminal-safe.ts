import type { CliIo } from './commands/context';

/**
 * Stored fields are printed as the API gives them, and any of them may hold what a contact or a
 * caller typed: an ESC sequence would recolour or rewrite the terminal. Every control character but
 * line feed and tab is shown as a `\uXXXX` escape instead. The same escape is valid inside a JSON
 * string and means the same character, so `--json` output stays parseable and exact.
 */
function escapeControls(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const control = (code < 0x20 && ch !== '\n' && ch !== '\t') || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
    out += control ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
  }
  return out;
}

export function terminalSafe(io: CliIo): CliIo {
  return { ...io, out: (t) => io.out(escapeControls(t)), err: (t) => io.err(escapeControls(t)) };
}
