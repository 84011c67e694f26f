import { log } from '../../log';
import { userSchema, type AmoUser } from '../schemas';
import { rawOf, upserter } from '../upsert';
import { allItems } from '../walk';
import type { Stream } from '../types';

const upsert = upserter({
  table: { schema: 'amo', table: 'users' },
  columns: ['id', 'name', 'email', 'is_active', { name: 'raw', cast: 'jsonb' }],
  key: ['id'],
});

/** Users, inactive ones included (old leads and calls still point at them); removed users are kept too. */
export const users: Stream<AmoUser> = {
  name: 'users',
  async *read(ctx) {
    const items = await allItems(ctx.api, { path: '/api/v4/users', embedded: 'users', entity: 'user', item: userSchema, limit: 250 }, ctx.signal);
    if (!items) return; // stopped before the whole list was read
    const blind = items.filter((u) => typeof u.rights?.is_active !== 'boolean');
    if (blind.length) {
      log().warn(
        { users: blind.length, of: items.length },
        "amoCRM listed users without rights.is_active (full user data is admin-only in some accounts): they are stored as active; use an admin's token to see who is deactivated",
      );
    }
    yield { items, state: {}, progress: 1 };
  },
  key: (u) => u.id,
  plan(items) {
    return [upsert(items.map((u) => ({ id: u.id, name: u.name, email: u.email ?? null, is_active: u.rights?.is_active ?? true, raw: rawOf(u) })))];
  },
};
