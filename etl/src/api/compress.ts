import { transcode } from 'node:buffer';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { RequestHandler, Response } from 'express';

/** Below this a JSON answer goes as it is: compressing it would cost more than sending it. */
export const COMPRESS_MIN_BYTES = 32 * 1024;

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
  /**
   * `head`, when there is one, goes before `bytes`: an answer the API keeps apart from the part each request writes
   * anew (the stuck deals' asOf) is sent in two writes rather than copied into one buffer (4.8 MB at 1M leads).
   */
  constructor(
    readonly bytes: Buffer,
    readonly head: Buffer | null = null,
  ) {}

  /** The answer in one buffer. */
  toBuffer(): Buffer {
    return this.head === null ? this.bytes : Buffer.concat([this.head, this.bytes]);
  }

  /** Only compressLargeJson's res.json knows it; any other serializer would send the Buffer's fields. */
  toJSON(): never {
    throw new Error('an EncodedJson is sent by the res.json of compressLargeJson()');
  }
}

/** The UTF-16 code units of the answer being encoded: reused, as long as it is at most this size. */
const KEEP_UNITS_BYTES = 16 * 1024 * 1024;
let units = Buffer.allocUnsafe(0);

/**
 * UTF-8 bytes of a JSON text. Cyrillic names make every answer a two-byte string; its code units are copied into a
 * reused buffer and transcoded (node's transcode, simdutf), which beats V8's own encoding of the string
 * (TextEncoder.encodeInto into a worst-case buffer, then a copy; Buffer.from was slower still). Alternating on
 * Cyrillic answers: the 16 400-row stuck-deal list 11.6 -> 9.1 ms, a month of activity 2.1 -> 1.2 ms, the 44 kB
 * board 0.058 -> 0.029 ms; an all-ASCII answer pays ~8 % (4.5 -> 4.9 ms for the same list with Latin names). The
 * text is always well-formed UTF-16: JSON.stringify escapes lone surrogates. transcode needs a node built with ICU,
 * as luxon's IANA zones (the account's time) already do.
 */
export function utf8Bytes(text: string): Buffer {
  const size = text.length * 2;
  const room = size <= units.length ? units : Buffer.allocUnsafe(size);
  if (room !== units && size <= KEEP_UNITS_BYTES) units = room;
  const written = room.write(text, 0, 'utf16le');
  return transcode(room.subarray(0, written), 'utf16le', 'utf8');
}

/** JSON.stringify(undefined) is undefined: an empty body, as express sends. */
export function encodeJson(body: unknown): EncodedJson {
  return new EncodedJson(utf8Bytes(JSON.stringify(body) ?? ''));
}

/**
 * The compressed forms of the bytes sent, for as long as the bytes live: an answer the API keeps (answer-cache.ts)
 * is the same Buffer on every request, so a browser or Grafana's proxy asking for it again (Grafana's sends
 * Accept-Encoding: gzip) gets it compressed once, not on each request (a month of activity: 0.77 MB).
 */
const packedOf = new WeakMap<Buffer, Map<'br' | 'gzip', Promise<Buffer>>>();

/** zlib looked up on each call, not bound at load: a test counts the compressions. */
function compressed(bytes: Buffer, encoding: 'br' | 'gzip'): Promise<Buffer> {
  return encoding === 'br' ? promisify(zlib.brotliCompress)(bytes, BROTLI) : promisify(zlib.gzip)(bytes, GZIP);
}

function packed(bytes: Buffer, encoding: 'br' | 'gzip'): Promise<Buffer> {
  let forms = packedOf.get(bytes);
  if (forms === undefined) packedOf.set(bytes, (forms = new Map()));
  let p = forms.get(encoding);
  if (p === undefined) {
    forms.set(encoding, (p = compressed(bytes, encoding)));
    p.catch(() => forms.delete(encoding));
  }
  return p;
}

function sendJsonBytes(res: Response, json: EncodedJson): void {
  res.set('Content-Type', jsonType(res));
  if (json.head === null) {
    res.send(json.bytes);
    return;
  }
  // What res.send would do for one buffer; node sends no body for a HEAD request.
  res.set('Content-Length', String(json.head.byteLength + json.bytes.byteLength));
  res.write(json.head);
  res.end(json.bytes);
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
      const json = body instanceof EncodedJson ? body : encodeJson(body);
      const size = json.bytes.byteLength + (json.head?.byteLength ?? 0);
      const encoding = size >= COMPRESS_MIN_BYTES ? req.acceptsEncodings('br', 'gzip', 'identity') : 'identity';
      if (encoding !== 'br' && encoding !== 'gzip') {
        sendJsonBytes(res, json);
        return res;
      }
      // With a head the whole differs on each request: compressed as it is, not kept.
      (json.head === null ? packed(json.bytes, encoding) : compressed(json.toBuffer(), encoding)).then(
        (packed) => res.set({ 'Content-Type': jsonType(res), 'Content-Encoding': encoding }).send(packed),
        () => sendJsonBytes(res, json), // cannot happen for a buffer; if it did, the answer still goes
      );
      return res;
    };
    next();
  };
}
