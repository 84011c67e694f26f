/**
 * The text Postgres prints for a one-dimensional bigint[] (`{1,NULL,-3}`), read into numbers (as the int8 parser
 * of pgp.ts does: exact up to 2^53). Only what array_out prints for int8 elements is accepted: no quotes, no
 * spaces, no nested arrays; anything else is an error, not a guess.
 */
export function parseInt8Array(text: string): (number | null)[] {
  const refused = () => new Error(`not a bigint[] text: ${text.slice(0, 40)}`);
  const last = text.length - 1;
  if (text.charCodeAt(0) !== 123 /* { */ || text.charCodeAt(last) !== 125 /* } */) throw refused();
  const out: (number | null)[] = [];
  let i = 1;
  while (i < last) {
    let c = text.charCodeAt(i);
    if (c === 78 /* N */ && text.startsWith('NULL', i)) {
      out.push(null);
      i += 4;
    } else {
      const negative = c === 45; /* - */
      if (negative) c = text.charCodeAt(++i);
      const start = i;
      let v = 0;
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = text.charCodeAt(++i);
      }
      if (i === start) throw refused();
      out.push(negative ? -v : v);
    }
    // a comma between elements only: not after the last one
    if (i < last && (text.charCodeAt(i++) !== 44 /* , */ || i === last)) throw refused();
  }
  return out;
}
