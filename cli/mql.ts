import { runCli } from './program';

/** The `mql` entry point (bin/mql.js): see program.ts, and commands/ for each resource's commands. */
// A reader that stops early (`mql … | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
process.exitCode = await runCli(process.argv.slice(2));
