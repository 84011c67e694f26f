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
 * UTF-8 bytes of a text. Cyrillic names make every answer a two-byte string, which Buffer.from encodes at half the
 * speed of TextEncoder.encodeInto into a buffer sized for the worst case (3 bytes per UTF-16 unit): a 3.5M-character
 * stuck-deal list 4.3 -> 2.5 ms, a month of activity 1.1 -> 0.5 ms. The bytes are then copied out, so an answer
 * does not hold three times its size while it is sent.
 */
function utf8Bytes(text: string): Buffer {
  const room = Buffer.allocUnsafe(text.length * 3);
  const { written } = utf8.encodeInto(text, room);
  return Buffer.from(room.subarray(0, written));
}

/** JSON.stringify(undefined) is undefined: an empty body, as express sends. */
export function encodeJson(body: unknown): EncodedJson {
  return new EncodedJson(utf8Bytes(JSON.stringify(body) ?? ''));
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
