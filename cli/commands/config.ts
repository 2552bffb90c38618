import type { Command } from 'commander';
import { defaultEndpoint, readSettings, saveSettings } from '../settings';
import type { CommandContext } from './context';

/** `mql config get|set endpoint`: the API endpoint saved for later sessions (../settings.ts). */
export function addConfigCommands(program: Command, { print }: CommandContext): void {
  const config = program.command('config').description('The endpoint the CLI uses when --endpoint, MQL_ENDPOINT and MQL_PORT are not set');
  config
    .command('get')
    .description('Show the endpoint the CLI would use now, and where it comes from')
    .action(() => {
      const choice = defaultEndpoint();
      print(choice, () => `endpoint ${choice.url} (from ${choice.source})`);
    });
  config
    .command('set')
    .description('Save a setting: endpoint <url>')
    .argument('<name>', 'endpoint')
    .argument('<value>', 'e.g. https://abc123.execute-api.eu-west-1.amazonaws.com')
    .action((name: string, value: string) => {
      if (name !== 'endpoint') throw new Error(`unknown setting ${name}: the one setting is endpoint`);
      const url = new URL(value).toString().replace(/\/$/, ''); // refuses what is not a URL
      const file = saveSettings({ ...readSettings(), endpoint: url });
      print({ endpoint: url, file }, () => `endpoint ${url} saved in ${file}`);
    });
}
