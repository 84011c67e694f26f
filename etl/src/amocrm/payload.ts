import { z, type ZodType } from 'zod';
import { AmoPayloadError } from './errors';

/** Parses a response body; a malformed body is an error naming what was being read, never a silent skip. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const excerpt = text.replace(/\s+/g, ' ').slice(0, 60);
    throw new AmoPayloadError(`${what}: response is not valid JSON (${(err as Error).message}); it starts with "${excerpt}"`);
  }
}

/** "price: expected number, received string" from the first zod issue. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length ? `${issue.path.map(String).join('.')}: ` : '';
  return `${where}${issue.message.replace(/^Invalid input: /, '')}`;
}

function idOf(raw: unknown): string | undefined {
  const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'number' || typeof id === 'string' ? String(id) : undefined;
}

/** Validates a value; the error names the entity and its id, e.g. "lead 123: price: expected number". */
export function validateEntity<T>(schema: ZodType<T>, raw: unknown, entity: string, where: string): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const id = idOf(raw);
  throw new AmoPayloadError(`${entity} ${id ?? `(no id, ${where})`}: ${describeIssue(parsed.error)}`);
}

const pageEnvelope = z.object({
  _embedded: z.record(z.string(), z.unknown()).optional(),
  _links: z.object({ next: z.object({ href: z.string() }).optional() }).loose().optional(),
}).loose();

/** Reads one HAL list page: its validated items (all or nothing) and the next link, if any. */
export function readPage<T>(
  body: unknown,
  opts: { embedded: string; entity: string; item: ZodType<T> },
  where: string,
): { items: T[]; next?: string } {
  const env = pageEnvelope.safeParse(body);
  if (!env.success) throw new AmoPayloadError(`${where}: not a list page: ${describeIssue(env.error)}`);
  const raw = env.data._embedded?.[opts.embedded];
  if (!Array.isArray(raw)) {
    throw new AmoPayloadError(`${where}: _embedded.${opts.embedded} is ${raw === undefined ? 'missing' : 'not an array'}`);
  }
  const items = raw.map((r, i) => validateEntity(opts.item, r, opts.entity, `item ${i} of ${where}`));
  return { items, next: env.data._links?.next?.href };
}
