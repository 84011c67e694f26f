import fs from 'node:fs';
import os from 'node:os';
import type { Command } from 'commander';
import { parseAmountText, setPlan, validatePlan } from '../../kpi/plans';
import { exportPlansCsv, importPlansCsv } from '../../kpi/plans-csv';
import { parseMonth } from '../../kpi/time';
import { prepare, withDatabase } from '../context';

const who = () => `cli:${os.userInfo().username}`;

export function register(program: Command): void {
  const plans = program.command('plans').description('monthly plans per manager (optionally per pipeline): set, import and export (CSV)');

  plans
    .command('set <month> <managerId> <amount>')
    .description('set one plan, e.g. plans set 2026-11 101 500000 (the overall plan) or … --pipeline 10')
    .option('--pipeline <id>', "that pipeline's plan instead of the manager's overall plan")
    .action(async (month: string, managerId: string, amount: string, opts: { pipeline?: string }) => {
      const config = prepare();
      // The month first, then the amount as typed (a refusal echoes the text, not the number it would become).
      parseMonth(month);
      const edit = validatePlan(month, managerId, parseAmountText(amount), opts.pipeline);
      await withDatabase(config, async ({ db }) => {
        const row = await setPlan(db, edit, who());
        const where = row.pipelineId === undefined ? '' : ` in pipeline ${row.pipelineId}`;
        process.stdout.write(`${row.month} ${row.managerId} (${row.managerName ?? 'unknown'})${where}: ${row.amount}\n`);
      });
    });

  plans
    .command('import <file>')
    .description('import a CSV with columns month,managerId,amount[,pipeline_id] (all rows or none)')
    .action(async (file: string) => {
      const config = prepare();
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
        throw new Error(`cannot read ${file}: ${why}; nothing was imported`);
      }
      await withDatabase(config, async ({ db }) => {
        const n = await importPlansCsv(db, text, `${who()}:${file}`);
        // A header alone is what exporting a month without plans writes: importing it back is not an error.
        process.stdout.write(n ? `imported ${n} plan(s) from ${file}\n` : `nothing imported: ${file} has no plan rows under its header\n`);
      });
    });

  plans
    .command('export')
    .description('print plans as CSV (month,managerId,managerName,amount; pipeline_id,pipelineName when a pipeline plan exists)')
    .option('--month <YYYY-MM>', 'only this month')
    .option('--excel', "for Excel (Russian locale): UTF-8 with a byte-order mark, ';' between cells; import reads it back")
    .action(async (opts: { month?: string; excel?: boolean }) => {
      const config = prepare();
      if (opts.month) parseMonth(opts.month);
      await withDatabase(config, async ({ db }) => {
        process.stdout.write(await exportPlansCsv(db, opts.month, { excel: opts.excel }));
      });
    });
}
