/**
 * A bounded hand-off between a stream's reader (HTTP) and the engine's writer (Postgres), so the two overlap:
 * while a batch commits, the next pages are fetched. The writer takes every page already waiting (up to a row
 * cap) and commits them as one transaction with the last page's cursor — at the rate limit that is one page
 * per transaction; with the limiter off, fewer and larger transactions.
 */
export class PageQueue<T extends { items: unknown[] }> {
  private buf: T[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private cancelled = false;
  private readerWake: (() => void) | undefined;
  private writerWake: (() => void) | undefined;

  constructor(private readonly capacity: number) {}

  /** Waits while the queue is full; throws once the writer has given up. */
  async push(page: T): Promise<void> {
    while (this.buf.length >= this.capacity && !this.cancelled) await new Promise<void>((r) => (this.readerWake = r));
    if (this.cancelled) throw new Error('page queue cancelled');
    this.buf.push(page);
    this.wakeWriter();
  }

  /** The reader is done (or failed: the writer sees the error after committing what was already read). */
  end(error?: unknown): void {
    this.ended = true;
    if (error !== undefined) this.failure = { error };
    this.wakeWriter();
  }

  /** The writer stops: a waiting or later push throws, which ends the reader. */
  cancel(): void {
    this.cancelled = true;
    const w = this.readerWake;
    this.readerWake = undefined;
    w?.();
  }

  /** At least one page (more if already waiting, up to maxRows items); null at the end. */
  async take(maxRows: number): Promise<T[] | null> {
    while (this.buf.length === 0 && !this.ended) await new Promise<void>((r) => (this.writerWake = r));
    if (this.buf.length === 0) {
      if (this.failure) throw this.failure.error;
      return null;
    }
    const out: T[] = [this.buf.shift()!];
    let rows = out[0]!.items.length;
    while (this.buf.length > 0 && rows + this.buf[0]!.items.length <= maxRows) {
      const p = this.buf.shift()!;
      rows += p.items.length;
      out.push(p);
    }
    const w = this.readerWake;
    this.readerWake = undefined;
    w?.();
    return out;
  }

  private wakeWriter(): void {
    const w = this.writerWake;
    this.writerWake = undefined;
    w?.();
  }
}
