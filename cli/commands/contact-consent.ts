import { InvalidArgumentError, Option, type Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { readFile } from 'node:fs/promises';
import { importedSuppressionReasons, MAX_SUPPRESSION_ROWS, type SuppressionImportResult } from '../../lib/contacts/consent';
import { INTEREST_SEPARATOR } from '../../lib/contacts/contact-import';
import type { CommandContext } from './context';

/** `mql contacts update` (attributes and consent) and `mql contacts suppress` (an opt-out list). */
export function addConsentCommands(contacts: Command, context: CommandContext): void {
  addUpdate(contacts, context);
  addSuppress(contacts, context);
}

const yesNo = (v: string): boolean => {
  const s = v.toLowerCase();
  if (['true', 'yes', 'y', '1'].includes(s)) return true;
  if (['false', 'no', 'n', '0'].includes(s)) return false;
  throw new InvalidArgumentError('must be true or false (yes/no, 1/0)');
};

/** `--attr k=v`, repeatable: `interests` takes categories separated by `;`, `contactMe` yes/no; the API names a bad field. */
function attribute(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('must be name=value, e.g. --attr company="Acme, Inc."');
  const name = value.slice(0, at).trim();
  const raw = value.slice(at + 1).trim();
  const parsed =
    name === 'interests'
      ? raw
          .split(INTEREST_SEPARATOR)
          .map((s) => s.trim())
          .filter(Boolean)
      : name === 'contactMe'
        ? yesNo(raw)
        : raw;
  return { ...previous, [name]: parsed };
}

function addUpdate(contacts: Command, { client, print, contactIdOf }: CommandContext): void {
  contacts
    .command('update')
    .description(
      'Change a contact: --consent false withdraws consent (excluded from every later send and the rest of a send in progress); --consent true records an opt-in, never lifting a suppression',
    )
    .argument('<contact>', 'contact id (ct_…) or email')
    .addOption(new Option('--consent <true|false>', 'give or withdraw consent').argParser(yesNo))
    .option('--attr <name=value>', 'an attribute to set, e.g. company=Acme or interests="analytics;security" (repeatable)', attribute)
    .option('--idempotency-key <key>', 'the same key makes a repeat of this request return the first answer')
    .action(async (contact: string, o: { consent?: boolean; attr?: Record<string, unknown>; idempotencyKey?: string }) => {
      const patch = { ...o.attr, ...(o.consent === undefined ? {} : { consent: o.consent }) };
      // A plain Error: commander prints its own errors only for what it parses.
      if (!Object.keys(patch).length) throw new Error('nothing to change: give --consent and/or --attr name=value');
      const id = await contactIdOf(contact);
      const headers: Record<string, string> = o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {};
      const c = await client().request<Record<string, unknown>>('PATCH', `/contacts/${encodeURIComponent(id)}`, patch, headers);
      const status = c.suppressed ? `suppressed (${c.suppressed})` : c.consent ? 'mailable' : 'no consent';
      print(c, () => `updated ${c.contactId}: ${status}${c.consentWithdrawnAt ? `, consent withdrawn ${c.consentWithdrawnAt}` : ''}`);
    });
}

function addSuppress(contacts: Command, context: CommandContext): void {
  contacts
    .command('suppress')
    .description("Import a suppression list (a CRM's opt-outs): these addresses are never mailed again, imported as contacts or not")
    .argument('[emails...]', 'addresses to suppress')
    .option('--file <file.csv>', 'a CSV with an email column and an optional reason column')
    .addOption(
      new Option('--reason <reason>', 'reason for addresses without one').choices(importedSuppressionReasons).default('unsubscribed'),
    )
    .action((emails: string[], o: { file?: string; reason: string }) => suppress(context, emails, o));
}

async function suppress({ client, print }: CommandContext, emails: string[], o: { file?: string; reason: string }): Promise<void> {
  const rows: Record<string, unknown>[] = emails.map((email) => ({ email, reason: o.reason }));
  if (o.file) {
    const records = parse(await readFile(o.file, 'utf8'), { bom: true, columns: (h: string[]) => h.map((c) => c.trim()), trim: true });
    for (const r of records as Record<string, string>[]) rows.push({ ...r, reason: r.reason || o.reason });
  }
  if (!rows.length) throw new Error('no addresses: give them as arguments or with --file');
  const total: SuppressionImportResult = { received: 0, suppressed: 0, created: 0, alreadySuppressed: 0, rejected: 0, errors: [] };
  for (let start = 0; start < rows.length; start += MAX_SUPPRESSION_ROWS) {
    const part = rows.slice(start, start + MAX_SUPPRESSION_ROWS);
    const r = await client().request<SuppressionImportResult>('POST', '/contacts/suppressions', { suppressions: part });
    total.received += r.received;
    total.suppressed += r.suppressed;
    total.created += r.created;
    total.alreadySuppressed += r.alreadySuppressed;
    total.rejected += r.rejected;
    total.errors.push(...r.errors.map((e) => ({ ...e, row: e.row + start })));
  }
  print(total, () =>
    [
      `suppressed ${total.suppressed}, new suppressed addresses ${total.created}, already suppressed ${total.alreadySuppressed}, rejected ${total.rejected} (of ${total.received})`,
      ...total.errors.slice(0, 20).map((e) => `  row ${e.row}: ${e.reason}`),
    ].join('\n'),
  );
}
