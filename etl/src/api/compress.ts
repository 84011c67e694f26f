import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { RequestHandler, Response } from 'express';

/** Below this a JSON answer goes as it is: compressing it would cost more than sending it. */
export const COMPRESS_MIN_BYTES = 32 * 1024;

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
// Fastest levels: on a 4.6 MB stuck-deal list brotli 1 takes ~12 ms (-> 0.3 MB), gzip 1 ~20 ms (-> 0.38 MB).
const BROTLI = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } };
const GZIP = { level: 1 };

/** As res.json would: a content type already chosen is kept. */
function jsonType(res: Response): string {
  return (res.get('Content-Type') as string | undefined) ?? 'application/json; charset=utf-8';
}

/**
 * A JSON answer encoded once, for identical concurrent reads to share (routes.ts `shared`): fifty TVs asking for
 * the same board get one computation and one serialization, not fifty. res.json sends it as it is.
 */
export class EncodedJson {
  constructor(readonly bytes: Buffer) {}

  /** Only compressLargeJson's res.json knows it; any other serializer would send the Buffer's fields. */
  toJSON(): never {
    throw new Error('an EncodedJson is sent by the res.json of compressLargeJson()');
  }
}

const utf8 = new TextEncoder();

/**
 * UTF-8 bytes of a text, a view into a buffer sized for the worst case (3 bytes per UTF-16 unit). Cyrillic names
 * make every answer a two-byte string, which Buffer.from encodes at half the speed of TextEncoder.encodeInto: a
 * 3.5M-character stuck-deal list 4.3 -> 2.5 ms, a month of activity 1.1 -> 0.5 ms.
 */
function utf8View(text: string): Buffer {
  const room = Buffer.allocUnsafe(text.length * 3);
  const { written } = utf8.encodeInto(text, room);
  return room.subarray(0, written);
}

/** Lists at least this long are serialized in calls of ROWS_PER_CALL rows (see jsonBytes). */
const LONG_LIST = 2000;
const ROWS_PER_CALL = 200;
const EMPTY_ROWS = '"rows":[]';

/** The rows of a long list answer: a plain object with a `rows` array (every KPI list is one); else null. */
function longRows(body: unknown): unknown[] | null {
  if (typeof body !== 'object' || body === null || Object.getPrototypeOf(body) !== Object.prototype) return null;
  if ('toJSON' in body || !Object.prototype.hasOwnProperty.call(body, 'rows')) return null;
  const rows = (body as { rows: unknown }).rows;
  return Array.isArray(rows) && rows.length >= LONG_LIST ? rows : null;
}

/**
 * The UTF-8 bytes of JSON.stringify(body), byte for byte. A long list is stringified ROWS_PER_CALL rows at a time:
 * one call over 16 000 rows builds a 10 MB two-byte string in V8's large-object space, which only a full
 * collection frees, while strings of 200 rows die young. Shaping and encoding 16 000 Cyrillic rows, alternating:
 * 35-37 -> 30-31 ms p50, 46-57 -> 43-47 ms p95. The rows are spliced where `"rows":[]` stands in the answer
 * stringified without them, which must be exactly one place (a string value cannot hold it unescaped).
 */
function jsonBytes(body: unknown): Buffer {
  const rows = longRows(body);
  if (rows) {
    const envelope = JSON.stringify({ ...(body as object), rows: [] });
    const at = envelope.indexOf(EMPTY_ROWS);
    if (at >= 0 && at === envelope.lastIndexOf(EMPTY_ROWS)) {
      const open = at + EMPTY_ROWS.length - 1; // just after the '['
      const parts = [utf8View(envelope.slice(0, open))];
      for (let i = 0; i < rows.length; i += ROWS_PER_CALL) {
        const chunk = JSON.stringify(rows.slice(i, i + ROWS_PER_CALL)).slice(1, -1);
        parts.push(utf8View(i === 0 ? chunk : `,${chunk}`));
      }
      parts.push(utf8View(envelope.slice(open)));
      return Buffer.concat(parts);
    }
  }
  // Copied out of the worst-case room, so an answer does not hold three times its size while it is sent.
  return Buffer.from(utf8View(JSON.stringify(body) ?? ''));
}

/** JSON.stringify(undefined) is undefined: an empty body, as express sends. */
export function encodeJson(body: unknown): EncodedJson {
  return new EncodedJson(jsonBytes(body));
}

function sendJsonBytes(res: Response, bytes: Buffer): void {
  res.set('Content-Type', jsonType(res)).send(bytes);
}

/**
 * Large JSON answers are compressed (brotli or gzip, as the client accepts): a stuck-deal list of 15 000 deals
 * is 4.6 MB, ~0.7 s for a wall TV on Wi-Fi, 0.3 MB compressed. zlib runs on libuv's thread pool, so the event
 * loop keeps serving meanwhile. The JSON itself is unchanged.
 */
export function compressLargeJson(): RequestHandler {
  return (req, res, next) => {
    res.vary('Accept-Encoding');
    res.json = (body: unknown) => {
      // Encoded to UTF-8 once: given the string, the size check, express's Content-Length and node's write would
      // each walk it (three passes over a 4.6 MB list).
      const { bytes } = body instanceof EncodedJson ? body : encodeJson(body);
      const encoding = bytes.byteLength >= COMPRESS_MIN_BYTES ? req.acceptsEncodings('br', 'gzip', 'identity') : 'identity';
      if (encoding !== 'br' && encoding !== 'gzip') {
        sendJsonBytes(res, bytes);
        return res;
      }
      (encoding === 'br' ? brotli(bytes, BROTLI) : gzip(bytes, GZIP)).then(
        (packed) => res.set({ 'Content-Type': jsonType(res), 'Content-Encoding': encoding }).send(packed),
        () => sendJsonBytes(res, bytes), // cannot happen for a buffer; if it did, the answer still goes
      );
      return res;
    };
    next();
  };
}
