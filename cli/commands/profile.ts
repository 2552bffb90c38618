import type { Command } from 'commander';
import { companySizes, seniorities } from '../../lib/contacts/contact';
import { listOf, type CommandContext } from './context';

/** `mql profile create`: ideal customer profiles. */
export function addProfileCommands(program: Command, { client, print, readJson }: CommandContext): void {
  const profiles = program.command('profile').description('Ideal customer profiles (the fit half of qualification)');
  profiles
    .command('create')
    .description('Create a profile from flags or a JSON file')
    .option('--file <profile.json>', 'the whole profile as JSON')
    .option('--name <name>')
    .option('--industries <list>', 'comma-separated, e.g. Software,Banking')
    .option('--company-sizes <list>', `comma-separated, of ${companySizes.join(' ')}`)
    .option('--countries <list>', 'ISO-2 codes, comma-separated')
    .option('--seniorities <list>', `comma-separated, of ${seniorities.join(' ')}`)
    .action(async (o) => {
      const body = o.file
        ? await readJson(o.file)
        : {
            name: o.name,
            industries: listOf(o.industries),
            companySizes: listOf(o.companySizes),
            countries: listOf(o.countries),
            seniorities: listOf(o.seniorities),
          };
      const p = await client().request<{ profileId: string; version: number }>('POST', '/profiles', body);
      print(p, () => `profile ${p.profileId} v${p.version}`);
    });
}
