/** The CLI proper, on Node 24: main.ts only chose the Node that runs it. */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';

async function main(): Promise<void> {
  try {
    const program = await buildProgram(process.argv.slice(2));
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed the message. A usage error exits 2 like any other failure, so
      // exit 1 keeps its meaning: `diff` found changes, `verify-commit` refused, a ledger broke.
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  }
}

await main();
