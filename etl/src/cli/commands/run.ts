import type { Command } from 'commander';

// Placeholder until the owning issue lands; the command is listed so --help shows the whole CLI.
export function register(program: Command): void {
  program
    .command('run')
    .description('(run: not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new Error('run is not implemented yet');
    });
}
