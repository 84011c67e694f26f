import type { Config } from '../config';
import type { Db } from '../db';
import { loadKpiContext } from '../kpi/context';
import { setPlan } from '../kpi/plans';
import { DateTime } from 'luxon';

/** Completion levels the demo aims at, so the board shows red, yellow and green managers. */
const TARGETS = [0.65, 0.9, 1.1, 0.75, 1.25, 0.95, 1.02, 0.55];

/**
 * Enters plans for this month and the previous one for every active manager, sized from their wins so the
 * completion bands differ between managers (a demo account has no plans of its own).
 */
export async function seedDemoPlans(db: Db, config: Config): Promise<number> {
  const ctx = await loadKpiContext(db, config);
  const now = ctx.now.setZone(ctx.zone);
  let count = 0;
  for (const monthStart of [now.startOf('month'), now.minus({ months: 1 }).startOf('month')]) {
    const from = monthStart.toUTC().toISO();
    const to = DateTime.min(monthStart.plus({ months: 1 }), now).toUTC().toISO();
    const rows = await db.any<{ id: number; won: number }>(
      `SELECT u.id, coalesce(sum(l.price) FILTER (WHERE l.status_id = 142 AND l.closed_at >= $1 AND l.closed_at < $2), 0) AS won
         FROM amo.users u LEFT JOIN amo.leads l ON l.responsible_user_id = u.id AND l.deleted_at IS NULL
        WHERE u.is_active GROUP BY u.id ORDER BY u.id`,
      [from, to],
    );
    for (const [i, r] of rows.entries()) {
      if (r.won === 0) continue; // admins and managers without sales get no plan
      const amount = Math.round(r.won / TARGETS[i % TARGETS.length]! / 10_000) * 10_000;
      await setPlan(db, { month: monthStart.toFormat('yyyy-MM'), managerId: r.id, amount }, 'demo');
      count += 1;
    }
  }
  return count;
}
