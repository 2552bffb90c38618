import type { Command } from 'commander';
import type { CommandContext } from './context';

/** `mql routing get|set`: who gets new MQLs. */
export function addRoutingCommands(program: Command, { client, print, readJson }: CommandContext): void {
  const routing = program
    .command('routing')
    .description('Who gets new MQLs: contact owner, territories with round-robin teams, default inbox');
  routing
    .command('get')
    .description('Show the routing rules and their revision')
    .action(async () => {
      const r = await client().request<unknown>('GET', '/routing');
      print(r, () => JSON.stringify(r, null, 2));
    });
  routing
    .command('set')
    .description('Replace the routing rules with the JSON file')
    .requiredOption('--file <routing.json>')
    .option('--revision <n>', 'only if the rules are still at this revision')
    .action(async (o) => {
      const r = await client().request<{ revision: number }>(
        'PUT',
        `/routing${o.revision ? `?revision=${encodeURIComponent(o.revision)}` : ''}`,
        await readJson(o.file),
      );
      print(r, () => `routing at revision ${r.revision}`);
    });
}
