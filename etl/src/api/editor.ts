import type { Request } from 'express';

/** The longest editor name kept in the audit trail (the page's input has the same maxlength). */
const MAX_EDITOR_LENGTH = 100;

/** Strict UTF-8: a byte sequence that is not UTF-8 throws instead of turning into U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Node reads header bytes as latin1, one character per byte, so a name sent as raw UTF-8
 * (`curl -H 'X-Amokpi-User: Иван'`) arrives as mojibake. When those bytes are valid UTF-8 they were meant
 * as UTF-8 (latin1 text with accents almost never is); otherwise the value is kept as it came (`José` sent
 * as latin1).
 */
function fromRawUtf8(value: string): string {
  if (!/[^\x00-\x7f]/.test(value)) return value;
  try {
    const text = utf8.decode(Buffer.from(value, 'latin1'));
    return text.includes('\uFFFD') ? value : text;
  } catch {
    return value;
  }
}

/**
 * A header can only carry latin1, so /admin/plans sends the name percent-encoded (encodeURIComponent). Only an
 * ASCII value is decoded (an encoded one always is); one that is not valid percent-encoding (`Olga 100%`) is
 * kept as typed.
 */
function fromPercentEncoded(value: string): string {
  if (!/%[0-9a-f]{2}/i.test(value) || /[^\x00-\x7f]/.test(value)) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Who made a plan edit, for the audit trail: the X-Amokpi-User header when given, percent-encoded or raw
 * UTF-8, trimmed and cut to 100 characters (whole code points, so a cut never splits a letter). Control
 * characters a decoded value may hold (%0A) become spaces: the audit shows one line per edit.
 */
export function editor(req: Request): string {
  const decoded = fromPercentEncoded(fromRawUtf8(req.get('x-amokpi-user') ?? ''));
  const oneLine = decoded.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  const who = Array.from(oneLine).slice(0, MAX_EDITOR_LENGTH).join('').trim();
  return who ? `api:${who}` : 'api:admin-token';
}
