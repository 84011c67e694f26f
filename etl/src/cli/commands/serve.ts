import type { Command } from 'commander';

// Placeholder until the owning issue lands; the command is listed so --help shows the whole CLI.
export function register(program: Command): void {
  program
    .command('serve')
    .description('(serve: not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new Error('serve is not implemented yet');
    });
}
