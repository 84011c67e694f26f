import { utf8Bytes } from './compress';

interface Kept {
  /**
   * The row as Postgres printed it, all of it, or a key that stands for exactly that text (a stuck deal's version):
   * the rendering is kept for exactly this.
   */
  readonly printed: string;
  /** The row's JSON: bytes [start, end) of a buffer shared with the rows rendered along with it. */
  readonly text: Buffer;
  readonly start: number;
  readonly end: number;
}

/** A row's JSON, as found or rendered: a range of a shared buffer. */
export interface RowJson {
  readonly text: Buffer;
  readonly start: number;
  readonly end: number;
}

/**
 * Two generations of this many bytes at most (JSON, printed rows and entries, as counted here): ~48 MB. One holds
 * the longest list at 1M leads, all 37 000 open deals (12.7 MB of JSON, ~21 MB counted); with 16 MB it was split
 * between the two, and each answer copied half its rows from the old generation to the young one.
 */
export const GENERATION_BYTES = 24 * 1024 * 1024;
/** What an entry costs beside its JSON and its printed text, roughly: the entry and its Map slot. */
export const ENTRY_BYTES = 160;

/**
 * The JSON of a long list's rows, rendered once and kept between answers under the row as Postgres printed it (or a
 * key that stands for that text): a row that comes back unchanged is copied, not shaped, stringified and encoded
 * again. At 1M leads the unlimited stuck-deal list is 16 400 rows and 6.3 MB: rendering it, with the garbage that
 * leaves, took ~50 ms of the Node thread per request; finding and copying the kept rows takes ~5. Every answer
 * computed still reads every row, or its key, from Postgres: only the rendering is kept here (whole answers are
 * kept until a write by answer-cache.ts).
 *
 * What a row's rendering depends on besides the row itself (the account's zone, names looked up by id) is the
 * context: `begin` drops every row rendered under another one. Memory is bounded by generations: rows go into
 * the young one; when it is full it becomes the old one and the previous old one is dropped; a row found in the
 * old generation is copied back into the young one. A list larger than two generations is rendered anew each
 * time, correctly, as before this cache.
 */
export class RenderedRows<C> {
  private young = new Map<number, Kept>();
  private old = new Map<number, Kept>();
  private youngBytes = 0;
  private keptUnder: C | undefined;

  constructor(
    private readonly sameContext: (a: C, b: C) => boolean,
    private readonly generationBytes = GENERATION_BYTES,
  ) {}

  /** Before rendering an answer under `context`: rows kept under another context are dropped. */
  begin(context: C): void {
    if (this.keptUnder === undefined || !this.sameContext(this.keptUnder, context)) this.clear();
    this.keptUnder = context;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngBytes = 0;
  }

  /** The kept JSON of row `id`, if it was rendered from the row printed as it is now. */
  find(id: number, printed: string): RowJson | undefined {
    const kept = this.young.get(id);
    if (kept !== undefined) return kept.printed === printed ? kept : undefined;
    const aged = this.old.get(id);
    if (aged === undefined || aged.printed !== printed) return undefined;
    // Copied, so that the buffer it shares with the rows rendered along with it can go with the old generation.
    return this.remember(id, printed, Buffer.from(aged.text.subarray(aged.start, aged.end)), 0, aged.end - aged.start);
  }

  /**
   * Renders `values` (flat objects, each with `firstKey` first; value i is row ids[i], printed as printed[i]) as
   * JSON.stringify renders an array of them, once, and keeps each row's part. One JSON text for the lot: 16 400
   * separate ones and their encoding took twice as long.
   */
  render(ids: readonly number[], printed: readonly string[], values: readonly object[], firstKey: string): RowJson[] {
    if (values.length === 0) return [];
    const text = utf8Bytes(JSON.stringify(values));
    // `,{"firstKey":` ends one row and begins the next: a quote inside a string is escaped, so the sequence cannot
    // occur there, and the rows hold no objects of their own.
    const between = Buffer.from(`,{${JSON.stringify(firstKey)}:`);
    const out: RowJson[] = new Array(values.length);
    let start = 1; // after '['
    for (let i = 0; i < values.length; i++) {
      const end = i + 1 < values.length ? text.indexOf(between, start) : text.length - 1; // before ']'
      if (end < 0 || text[start] !== 123 /* { */) throw new Error(`rendered rows: row ${i} of ${values.length} does not begin with {"${firstKey}":`);
      out[i] = this.remember(ids[i]!, printed[i]!, text, start, end);
      start = end + 1;
    }
    return out;
  }

  /** The context of the rows kept, if any. */
  get context(): C | undefined {
    return this.keptUnder;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  private remember(id: number, printed: string, text: Buffer, start: number, end: number): Kept {
    const kept: Kept = { printed, text, start, end };
    this.young.set(id, kept);
    this.youngBytes += end - start + printed.length + ENTRY_BYTES;
    if (this.youngBytes > this.generationBytes) {
      this.old = this.young;
      this.young = new Map();
      this.youngBytes = 0;
    }
    return kept;
  }
}

/**
 * `head` + the rows' JSON joined by commas + `tail`, as one buffer: the bytes JSON.stringify and UTF-8 would give
 * for an array of the rows between a head and a tail. Rows rendered together and still in their order are
 * copied as one range, with the commas between them: a list rendered anew is one copy, not 16 400.
 */
export function joinRows(head: string, rows: readonly RowJson[], tail: string): Buffer {
  let size = Buffer.byteLength(head) + Buffer.byteLength(tail) + Math.max(rows.length - 1, 0);
  for (const r of rows) size += r.end - r.start;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(head, 0, 'utf8');
  if (rows.length > 0) {
    let run = rows[0]!;
    let runEnd = run.end;
    for (let i = 1; i < rows.length; i++) {
      const r = rows[i]!;
      // The next row of the same rendering: the byte between the two is its comma.
      if (r.text === run.text && r.start === runEnd + 1) {
        runEnd = r.end;
        continue;
      }
      at += run.text.copy(out, at, run.start, runEnd);
      out[at++] = 44; // ,
      run = r;
      runEnd = r.end;
    }
    at += run.text.copy(out, at, run.start, runEnd);
  }
  out.write(tail, at, 'utf8');
  return out;
}
