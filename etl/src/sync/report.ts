import cliProgress from 'cli-progress';
import { log } from '../log';
import type { ProgressEvent, StreamResult } from './types';

/** One human line per stream: fetched, upserted, deleted, requests, milliseconds (and the error, if any). */
export function formatLine(r: StreamResult): string {
  const base = `${r.stream.padEnd(14)} fetched ${String(r.fetched).padStart(7)}  upserted ${String(r.upserted).padStart(7)}  deleted ${String(r.deleted).padStart(5)}  requests ${String(r.requests).padStart(5)}  ${String(r.ms).padStart(7)} ms`;
  return r.error ? `${base}  FAILED: ${r.error}` : base;
}

/** The --json line: exactly the contract's keys, plus "error" when the stream failed. */
export function formatJson(r: StreamResult): string {
  const o: Record<string, unknown> = { stream: r.stream, fetched: r.fetched, upserted: r.upserted, deleted: r.deleted, requests: r.requests, ms: r.ms };
  if (r.error) o.error = r.error;
  return JSON.stringify(o);
}

export interface Reporter {
  onProgress(e: ProgressEvent): void;
  stop(): void;
}

/** A bar per stream on a terminal (cli-progress, stderr so stdout stays clean). */
export function barsReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
  const multi = new cliProgress.MultiBar(
    { stream, format: ' {stream} |{bar}| {percentage}% | {fetched} rows | {requests} req', hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    onProgress(e) {
      const payload = { stream: e.stream.padEnd(14), fetched: e.fetched, requests: e.requests };
      let bar = bars.get(e.stream);
      if (!bar) {
        bar = multi.create(100, 0, payload);
        bars.set(e.stream, bar);
      }
      bar.update(e.fraction != null ? Math.round(e.fraction * 100) : bar.getProgress() * 100, payload);
    },
    stop: () => multi.stop(),
  };
}

export interface LogReporterOptions {
  /** At most one line per stream this often while it runs (default 5 s). */
  everyMs?: number;
  /** Also a line when a stream ends (default true; the worker logs its own). */
  done?: boolean;
}

/** Without a terminal: a pino line per stream at most every `everyMs` while it runs, and one when it is done. */
export function logReporter(opts: LogReporterOptions = {}): Reporter {
  const everyMs = opts.everyMs ?? 5000;
  const last = new Map<string, number>();
  return {
    onProgress(e) {
      const now = Date.now();
      if (e.phase === 'start') {
        last.set(e.stream, now);
        return;
      }
      if (e.phase === 'done' && opts.done === false) return;
      if (e.phase === 'page' && now - (last.get(e.stream) ?? 0) < everyMs) return;
      last.set(e.stream, now);
      const pct = e.fraction != null ? Math.round(e.fraction * 100) : undefined;
      log().info({ stream: e.stream, phase: e.phase, percent: pct, fetched: e.fetched, upserted: e.upserted, deleted: e.deleted, requests: e.requests, error: e.error }, 'sync progress');
    },
    stop: () => undefined,
  };
}

/**
 * The progress of a sync run from a terminal, whatever its mode: bars (cli-progress) when stderr, where they are
 * drawn, is a terminal and stdout is not reserved for --json; log lines otherwise.
 */
export function terminalReporter(opts: { tty: boolean; json?: boolean }): Reporter {
  return opts.tty && !opts.json ? barsReporter() : logReporter();
}

/**
 * The history back-fill's days as progress on a reporter (a pseudo-stream "history", one "row" a day): at 1M
 * leads a day takes ~2 s, so years of history are minutes that must not pass in silence.
 */
export function historyProgress(reporter: Reporter): (done: number, total: number) => void {
  const stream = 'history (days)';
  return (done, total) => {
    if (done === 1) reporter.onProgress({ stream, phase: 'start', fraction: 0, fetched: 0, upserted: 0, deleted: 0, requests: 0 });
    reporter.onProgress({ stream, phase: done === total ? 'done' : 'page', fraction: done / total, fetched: done, upserted: done, deleted: 0, requests: 0 });
  };
}
