-- Up Migration
-- Task figures read the active leads from kpi.open_deals (migration 0010), which holds exactly them, kept per
-- lead by triggers (tests hold it equal to a recomputation), instead of the kpi.active_leads view, which finds
-- them again on every call (the open-leads index and the stages' anti-join). Measured at 1M leads: 34 -> 28 ms,
-- identical figures. The definition is otherwise 0003's: open tasks on active leads (task's responsible user),
-- those overdue at T, and active leads with no open task (lead's responsible user).
CREATE OR REPLACE FUNCTION kpi.manager_tasks_at(p_t timestamptz, p_pipeline bigint DEFAULT NULL)
RETURNS TABLE (manager_id bigint, open_tasks int, overdue_tasks int, leads_without_tasks int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT x.manager_id, sum(x.open)::int, sum(x.overdue)::int, sum(x.bare)::int
  FROM (
    SELECT CASE WHEN t.entity_id IS NULL THEN a.manager_id ELSE t.responsible_user_id END AS manager_id,
           (t.entity_id IS NOT NULL)::int AS open,
           coalesce(t.complete_till < p_t, false)::int AS overdue,
           (t.entity_id IS NULL)::int AS bare
      FROM kpi.open_deals a
      LEFT JOIN amo.tasks t ON t.entity_id = a.lead_id AND t.entity_type = 'leads' AND NOT t.is_completed
     WHERE p_pipeline IS NULL OR a.pipeline_id = p_pipeline
  ) x
  WHERE x.manager_id IS NOT NULL
  GROUP BY x.manager_id
$$;

-- Down Migration
CREATE OR REPLACE FUNCTION kpi.manager_tasks_at(p_t timestamptz, p_pipeline bigint DEFAULT NULL)
RETURNS TABLE (manager_id bigint, open_tasks int, overdue_tasks int, leads_without_tasks int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT x.manager_id, sum(x.open)::int, sum(x.overdue)::int, sum(x.bare)::int
  FROM (
    SELECT CASE WHEN t.entity_id IS NULL THEN a.responsible_user_id ELSE t.responsible_user_id END AS manager_id,
           (t.entity_id IS NOT NULL)::int AS open,
           coalesce(t.complete_till < p_t, false)::int AS overdue,
           (t.entity_id IS NULL)::int AS bare
      FROM kpi.active_leads a
      LEFT JOIN amo.tasks t ON t.entity_id = a.id AND t.entity_type = 'leads' AND NOT t.is_completed
     WHERE p_pipeline IS NULL OR a.pipeline_id = p_pipeline
  ) x
  WHERE x.manager_id IS NOT NULL
  GROUP BY x.manager_id
$$;
