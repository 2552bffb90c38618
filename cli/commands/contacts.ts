import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { contactStatuses, companySizes, seniorities } from '../../lib/contacts/contact';
import type { CommandContext } from './context';
import { addConsentCommands } from './contact-consent';

/** `mql contacts get|list|update|suppress|export|erase`. */
export function addContactCommands(program: Command, context: CommandContext): void {
  const contacts = program.command('contacts').description('Look up, list, change, suppress, export and erase contacts');
  addGet(contacts, context);
  addList(contacts, context);
  addConsentCommands(contacts, context);
  addExport(contacts, context);
  addErase(contacts, context);
}

function addGet(contacts: Command, { client, print, contactIdOf }: CommandContext): void {
  contacts
    .command('get')
    .description('Show one contact')
    .argument('<contact>', 'contact id (ct2_…) or email')
    .action(async (contact: string) => {
      const c = await client().request<Record<string, unknown>>('GET', `/contacts/${encodeURIComponent(await contactIdOf(contact))}`);
      print(c, () =>
        Object.entries(c)
          .map(([k, v]) => `${k.padEnd(12)} ${Array.isArray(v) ? v.join(', ') : String(v)}`)
          .join('\n'),
      );
    });
}

/** Command-line option → query parameter of GET /contacts. */
const listFilters = {
  industry: 'industry',
  country: 'country',
  companySize: 'companySize',
  seniority: 'seniority',
  region: 'region',
  owner: 'owner',
  interest: 'interest',
  status: 'status',
  limit: 'limit',
};

function addList(contacts: Command, context: CommandContext): void {
  contacts
    .command('list')
    .description('List contacts, optionally filtered (filters combine; values match exactly)')
    .option('--industry <industry>')
    .option('--country <ISO-2>')
    .addOption(new Option('--company-size <size>').choices(companySizes))
    .addOption(new Option('--seniority <seniority>').choices(seniorities))
    .option('--region <region>')
    .option('--owner <email>')
    .option('--interest <category>')
    .addOption(new Option('--status <status>').choices(contactStatuses))
    .option('--limit <n>', 'contacts per page (1–500)', '50')
    .option('--all', 'follow the pages to the end')
    .action((o: Record<string, string | boolean | undefined>) => listContacts(context, o));
}

async function listContacts({ client, print }: CommandContext, o: Record<string, string | boolean | undefined>): Promise<void> {
  const query = new URLSearchParams();
  for (const [option, param] of Object.entries(listFilters)) {
    if (typeof o[option] === 'string') query.set(param, o[option] as string);
  }
  const items: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  do {
    if (cursor) query.set('cursor', cursor);
    const page = await client().request<{ items: Record<string, unknown>[]; cursor?: string }>('GET', `/contacts?${query}`);
    items.push(...page.items);
    cursor = page.cursor;
    if (!o.all) break;
  } while (cursor);
  print({ items, cursor }, () =>
    [
      ...items.map((c) =>
        [c.contactId, c.email, c.company ?? '', c.industry ?? '', c.suppressed ?? (c.consent ? 'mailable' : 'no consent')].join('\t'),
      ),
      cursor ? `(more: run with --all)` : `${items.length} contact${items.length === 1 ? '' : 's'}`,
    ].join('\n'),
  );
}

function addExport(contacts: Command, { client, io, contactIdOf }: CommandContext): void {
  contacts
    .command('export')
    .description('Export everything held about a contact, its engagement included (a subject access request), as JSON')
    .argument('<contact>', 'contact id (ct2_…) or email')
    .option('--out <file.json>', 'write to this file instead of standard output')
    .action(async (contact: string, o: { out?: string }) => {
      const data = await client().request('GET', `/contacts/${encodeURIComponent(await contactIdOf(contact))}/export`);
      if (o.out) {
        await writeFile(o.out, `${JSON.stringify(data, null, 2)}\n`);
        io.out(`wrote ${o.out}`);
      } else io.out(JSON.stringify(data, null, 2));
    });
}

function addErase(contacts: Command, { client, print, contactIdOf }: CommandContext): void {
  contacts
    .command('erase')
    .description(
      "Erase a contact's data (right to erasure): the contact is never mailed or imported again; campaign figures stay as they were",
    )
    .argument('<contact>', 'contact id (ct2_…) or email')
    .requiredOption('--yes', 'confirm: this cannot be undone')
    .action(async (contact: string) => {
      const r = await client().request<{
        contactId: string;
        campaigns: number;
        leadAnonymised: boolean;
        firstErasure: boolean;
        reportObjectsRewritten?: number;
        notesRedacted?: number;
      }>('DELETE', `/contacts/${encodeURIComponent(await contactIdOf(contact))}`);
      const also = [
        r.leadAnonymised ? 'lead anonymised' : '',
        r.reportObjectsRewritten ? `${r.reportObjectsRewritten} report file(s) rewritten` : '',
        r.notesRedacted ? `${r.notesRedacted} sales note(s) redacted` : '',
      ].filter(Boolean);
      print(
        r,
        () =>
          `erased ${r.contactId}${r.firstErasure ? '' : ' (already erased; completed)'}: records emptied in ${r.campaigns} campaign(s)${also.map((a) => `, ${a}`).join('')}`,
      );
    });
}
