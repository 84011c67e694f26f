import type { Activity } from '../kpi/activity';
import { EncodedJson } from './compress';

/** A number as JSON.stringify writes it. */
function numberJson(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** A row's figures after its `"callMinutes":`, at most: three numbers of 24 characters and the keys between. */
const FIGURES_BYTES = 3 * 24 + ',"messages":,"activityMinutes":}'.length;

/**
 * The activity answer's bytes: exactly those of JSON.stringify(answer) in UTF-8, written from pieces. A month of
 * 200 managers is 6 000 rows that repeat 30 dates and 200 managers' ids and names: each date's `{"date":"…` and
 * each manager's `","managerId":…,"managerName":…,"callMinutes":` is encoded once, and each row writes its three
 * figures after them. Measured on such a month with Cyrillic names (0.86 MB): 4.2 ms to stringify and encode,
 * 2.9 ms this way.
 */
export function activityJson(answer: Activity): EncodedJson {
  const dates = new Map<string, Buffer>();
  const managers = new Map<number, { name: string | null; piece: Buffer }>();
  const managerPiece = (id: number, name: string | null) =>
    Buffer.from(`","managerId":${numberJson(id)},"managerName":${JSON.stringify(name)},"callMinutes":`);
  const pieces: Buffer[] = new Array(answer.rows.length * 2);
  let size = 0;
  const rows = answer.rows;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    let date = dates.get(r.date);
    if (date === undefined) dates.set(r.date, (date = Buffer.from(`{"date":${JSON.stringify(r.date)}`.slice(0, -1))));
    const manager = managers.get(r.managerId);
    // One manager has one name in an answer; a row that says otherwise is written as it is, not with the first name.
    const piece = manager !== undefined && manager.name === r.managerName ? manager.piece : managerPiece(r.managerId, r.managerName);
    if (manager === undefined) managers.set(r.managerId, { name: r.managerName, piece });
    pieces[2 * i] = date;
    pieces[2 * i + 1] = piece;
    size += date.length + piece.length + FIGURES_BYTES + 1;
  }
  const head = Buffer.from(`{"timezone":${JSON.stringify(answer.timezone)},"messageMinutes":${numberJson(answer.messageMinutes)},"rows":[`);
  const out = Buffer.allocUnsafe(head.length + size + 2);
  let at = head.copy(out, 0);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (i > 0) out[at++] = 44; // ,
    const date = pieces[2 * i]!;
    const piece = pieces[2 * i + 1]!;
    out.set(date, at);
    at += date.length;
    out.set(piece, at);
    at += piece.length;
    // numbers and keys: ASCII
    at += out.write(`${numberJson(r.callMinutes)},"messages":${numberJson(r.messages)},"activityMinutes":${numberJson(r.activityMinutes)}}`, at, 'latin1');
  }
  out[at++] = 93; // ]
  out[at++] = 125; // }
  return new EncodedJson(out.subarray(0, at));
}
