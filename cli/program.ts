import { Command, Option } from 'commander';
import { ApiError } from './http-client';
import { addCampaignCommands } from './commands/campaign';
import { commandContext, type CliIo } from './commands/context';
import { addContactCommands } from './commands/contacts';
import { addCriteriaCommands } from './commands/criteria';
import { addEngagementCommands } from './commands/engagement';
import { addImportCommand } from './commands/import';
import { addLeadCommands, addLeadsCommands } from './commands/lead';
import { addProfileCommands } from './commands/profile';
import { addPeriodReportCommand } from './commands/report';
import { addRoutingCommands } from './commands/routing';
import { addConfigCommands } from './commands/config';
import { addSmokeCommand } from './commands/smoke';
import { terminalSafe } from './terminal-safe';

export type { CliIo } from './commands/context';

/**
 * `mql`: the marketers' command line. Every command is a call to the HTTP API, so what the CLI can
 * do, the API can do, and the CLI never touches the database. Built by a function so tests can run
 * it in-process with their own output streams. Each resource's commands are in commands/.
 */

const standardIo: CliIo = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };

export function buildProgram(rawIo: CliIo = standardIo): Command {
  const io = terminalSafe(rawIo);
  const program = withGlobalOptions(new Command(), io);
  const context = commandContext(program, io);
  addImportCommand(program, context);
  addContactCommands(program, context);
  addProfileCommands(program, context);
  addCampaignCommands(program, context);
  addPeriodReportCommand(program, context);
  // Qualification (docs/qualification.md).
  addCriteriaCommands(program, context);
  addEngagementCommands(program, context);
  addLeadCommands(program, context);
  addLeadsCommands(program, context);
  addRoutingCommands(program, context);
  addConfigCommands(program, context);
  addSmokeCommand(program, context);
  return program;
}

/** The program's name, description, global options (endpoint, signing, --json) and first-session help. */
function withGlobalOptions(program: Command, io: CliIo): Command {
  return program
    .name('mql')
    .description(
      'Turn email campaigns into marketing-qualified leads: import contacts, define an ideal customer profile, create and send campaigns, read live results; qualification criteria, backtests and sales feedback.\n' +
        'Every command calls the mql-pipeline HTTP API: the local one (`npm start`) by default, or a deployed one with --endpoint (requests are then signed with AWS SigV4 from your usual AWS credentials).',
    )
    .addOption(
      new Option(
        '--endpoint <url>',
        'API base URL (else MQL_ENDPOINT, else http://127.0.0.1:$MQL_PORT, else the saved `mql config set endpoint`, else http://127.0.0.1:3000)',
      ),
    )
    .addOption(new Option('--region <region>', 'AWS region for signing (default: from the endpoint, or AWS_REGION)'))
    .addOption(new Option('--profile <name>', 'AWS profile for signing (default: AWS_PROFILE or the default chain)'))
    .option('--no-sign', 'never sign requests (signing is automatic for non-loopback endpoints)')
    .option('--json', 'print machine-readable JSON only')
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
A first session, against the local stack (npm start), with the repository's examples:
  $ mql import examples/contacts.csv
  $ mql profile create --name "Mid-market software" --industries Software --company-sizes 201-1000,1001-5000
  $ mql campaign create --file examples/campaign.json --profile-id icp_…
  $ mql campaign send cmp_…
  $ mql campaign stats cmp_…

Against a deployed API (credentials from the AWS chain: env, ~/.aws, SSO, roles):
  $ mql --endpoint https://abc123.execute-api.eu-west-1.amazonaws.com import contacts.csv`,
    );
}

/** Runs the CLI; answers the exit code (errors are printed, never thrown). */
export async function runCli(argv: string[], io?: CliIo): Promise<number> {
  const program = buildProgram(io);
  const err = terminalSafe(io ?? standardIo).err;
  program.exitOverride();
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    const e = error as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 1; // commander printed it
    printError(error, err);
    return 1;
  }
}

/** An API error with its code and each of its details; anything else by its message. */
function printError(error: unknown, err: (text: string) => void): void {
  if (!(error instanceof ApiError)) {
    err(`error: ${(error as Error).message}`);
    return;
  }
  err(`error ${error.status} ${error.body.error?.code ?? ''}: ${error.message}`);
  for (const d of (error.body.error?.details as { in?: string; path?: (string | number)[]; message?: string }[] | undefined) ?? []) {
    err(`  ${[d.in, d.path?.join('.')].filter(Boolean).join(' ')}: ${d.message ?? JSON.stringify(d)}`);
  }
}
