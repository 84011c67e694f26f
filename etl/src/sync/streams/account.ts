import { log } from '../../log';
import { accountSchema, type AmoAccount } from '../schemas';
import { rawOf, upserter } from '../upsert';
import type { Stream } from '../types';

const upsert = upserter({
  table: { schema: 'amo', table: 'account' },
  columns: ['id', 'name', 'subdomain', 'currency', 'timezone', { name: 'raw', cast: 'jsonb' }],
  key: ['id'],
  extraSet: 'synced_at = now()',
});

const zoneOf = (a: AmoAccount) => a._embedded?.datetime_settings?.timezone ?? a.timezone;

/** The account: currency and, via with=datetime_settings, the IANA time zone every KPI day is cut in. */
export const account: Stream<AmoAccount> = {
  name: 'account',
  async *read(ctx) {
    const a = await ctx.api.get('/api/v4/account', { with: 'datetime_settings' }, accountSchema);
    if (!a) throw new Error('GET /api/v4/account answered 204 (no account data)');
    if (!zoneOf(a)) {
      log().warn({ account: a.id }, 'amoCRM sent no account time zone (datetime_settings): UTC is stored; set AMOKPI_TIMEZONE to the account zone (e.g. Europe/Moscow) or KPI days are cut in UTC');
    }
    yield { items: [a], state: {}, progress: 1 };
  },
  key: (a) => a.id,
  plan(items) {
    const rows = items.map((a) => ({
      id: a.id,
      name: a.name,
      subdomain: a.subdomain ?? null,
      currency: a.currency,
      // Older payloads put the zone at the top level; UTC only if amoCRM says nothing (AMOKPI_TIMEZONE overrides).
      timezone: zoneOf(a) ?? 'UTC',
      raw: rawOf(a),
    }));
    return [upsert(rows)];
  },
};
