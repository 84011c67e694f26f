import type { ZoneClock } from './clock';
import type { Store } from './store';
import type { EventRec, LeadRec, NoteRec, PipelineRec, StatusRec, TaskRec, UserRec } from './types';

/**
 * Entity → the exact JSON shape amoCRM v4 returns (reference §4). `base` is the account origin.
 * Results never share objects with the store, so dataset() can hand them out as they are.
 */

/** Deep copy of a small plain JSON value (much cheaper than structuredClone for 100k tiny arrays). */
function cloneJson<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneJson) as T;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = cloneJson(x);
  return out as T;
}

const self = (href: string) => ({ self: { href } });

export function accountJson(store: Store, clock: ZoneClock, base: string, withs: Set<string>, now: number): Record<string, unknown> {
  const a = store.account;
  const out: Record<string, unknown> = {
    id: a.id,
    name: a.name,
    subdomain: a.subdomain,
    created_at: a.createdAt,
    created_by: 0,
    updated_at: a.createdAt,
    updated_by: 0,
    current_user_id: a.currentUserId,
    country: a.country,
    currency: a.currency,
    currency_symbol: a.currencySymbol,
    customers_mode: 'disabled',
    is_unsorted_on: true,
    mobile_feature_version: 0,
    is_loss_reason_enabled: true,
    is_helpbot_enabled: false,
    is_technical_account: false,
    contact_name_display_order: 1,
    _links: self(`${base}/api/v4/account`),
  };
  if (withs.has('amojo_id')) out.amojo_id = a.amojoId;
  if (withs.has('version')) out.version = 11;
  if (withs.has('is_api_filter_enabled')) out.is_api_filter_enabled = true;
  const embedded: Record<string, unknown> = {};
  if (withs.has('users_groups')) embedded.users_groups = [{ id: 0, name: 'Отдел продаж', uuid: null }, ...store.groups.map((g) => ({ id: g.id, name: g.name, uuid: null }))];
  if (withs.has('task_types')) {
    embedded.task_types = [
      { id: 1, name: 'Связаться', color: null, icon_id: null, code: 'FOLLOW_UP' },
      { id: 2, name: 'Встреча', color: null, icon_id: null, code: 'MEETING' },
      { id: 3, name: 'Отправить документы', color: '#ff8f92', icon_id: 5, code: null },
    ];
  }
  if (withs.has('datetime_settings')) {
    embedded.datetime_settings = {
      date_pattern: 'd.m.Y H:i',
      short_date_pattern: 'd.m.Y',
      short_time_pattern: 'H:i',
      date_format: 'd.m.Y',
      time_format: 'H:i:s',
      timezone: clock.timezone,
      timezone_offset: clock.offsetLabel(now),
    };
  }
  if (Object.keys(embedded).length > 0) out._embedded = embedded;
  return out;
}

export function userJson(u: UserRec, base: string): Record<string, unknown> {
  const full = { view: 'A', edit: 'A', add: 'A', delete: 'A', export: 'A' };
  const own = { view: 'A', edit: 'M', add: 'A', delete: 'M', export: 'D' };
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    lang: u.lang,
    rights: {
      leads: { ...(u.isAdmin ? full : own) },
      contacts: { ...(u.isAdmin ? full : own) },
      companies: { ...(u.isAdmin ? full : own) },
      tasks: { edit: u.isAdmin ? 'A' : 'M', delete: u.isAdmin ? 'A' : 'M' },
      mail_access: true,
      catalog_access: u.isAdmin,
      status_rights: null,
      is_admin: u.isAdmin,
      is_free: false,
      is_active: u.isActive,
      group_id: u.groupId,
      role_id: null,
    },
    _links: self(`${base}/api/v4/users/${u.id}`),
    _embedded: { roles: [], groups: [] },
  };
}

function statusJson(s: StatusRec, pipelineId: number, accountId: number, base: string): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    sort: s.sort,
    is_editable: s.isEditable,
    pipeline_id: pipelineId,
    color: s.color,
    type: s.type,
    account_id: accountId,
    _links: self(`${base}/api/v4/leads/pipelines/${pipelineId}/statuses/${s.id}`),
  };
}

export function pipelineJson(p: PipelineRec, accountId: number, base: string): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    sort: p.sort,
    is_main: p.isMain,
    is_unsorted_on: true,
    is_archive: false,
    account_id: accountId,
    _links: self(`${base}/api/v4/leads/pipelines/${p.id}`),
    _embedded: { statuses: p.statuses.map((s) => statusJson(s, p.id, accountId, base)) },
  };
}

export function leadJson(store: Store, l: LeadRec, base: string, withs: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: l.id,
    name: l.name,
    price: l.price,
    responsible_user_id: l.responsibleUserId,
    group_id: l.groupId,
    status_id: l.statusId,
    pipeline_id: l.pipelineId,
    loss_reason_id: l.lossReasonId,
    created_by: l.createdBy,
    updated_by: l.updatedBy,
    created_at: l.createdAt,
    updated_at: l.updatedAt,
    closed_at: l.closedAt,
    closest_task_at: store.closestTaskAt(l.id),
    is_deleted: l.state !== 'active',
    custom_fields_values: null,
    score: null,
    account_id: store.account.id,
    labor_cost: null,
    _links: self(`${base}/api/v4/leads/${l.id}`),
  };
  const embedded: Record<string, unknown> = { tags: l.tags.map((t) => ({ ...t })), companies: [] };
  if (withs.has('contacts')) {
    embedded.contacts = l.contactIds.map((id, i) => ({ id, is_main: i === 0, _links: self(`${base}/api/v4/contacts/${id}`) }));
  }
  if (withs.has('loss_reason')) {
    const r = store.lossReasons.find((x) => x.id === l.lossReasonId);
    embedded.loss_reason = r ? [{ id: r.id, name: r.name, sort: r.sort, created_at: r.createdAt, updated_at: r.createdAt, _links: self(`${base}/api/v4/leads/loss_reasons/${r.id}`) }] : [];
  }
  out._embedded = embedded;
  return out;
}

export function taskJson(t: TaskRec, accountId: number, base: string): Record<string, unknown> {
  return {
    id: t.id,
    created_by: t.createdBy,
    updated_by: t.updatedBy,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    responsible_user_id: t.responsibleUserId,
    group_id: t.groupId,
    entity_id: t.entityId,
    entity_type: t.entityType,
    duration: t.duration,
    is_completed: t.isCompleted,
    task_type_id: t.taskTypeId,
    text: t.text,
    result: Array.isArray(t.result) ? [] : { ...t.result },
    complete_till: t.completeTill,
    account_id: accountId,
    _links: self(`${base}/api/v4/tasks/${t.id}`),
  };
}

export function noteJson(n: NoteRec, accountId: number, base: string): Record<string, unknown> {
  return {
    id: n.id,
    entity_id: n.entityId,
    created_by: n.createdBy,
    updated_by: n.updatedBy,
    created_at: n.createdAt,
    updated_at: n.updatedAt,
    responsible_user_id: n.responsibleUserId,
    group_id: n.groupId,
    note_type: n.noteType,
    params: cloneJson(n.params),
    account_id: accountId,
    _links: self(`${base}/api/v4/${n.parent}/${n.entityId}/notes/${n.id}`),
  };
}

const ENTITY_PATH = { lead: 'leads', contact: 'contacts', task: 'tasks' } as const;

export function eventJson(e: EventRec, accountId: number, base: string): Record<string, unknown> {
  return {
    id: e.id,
    type: e.type,
    entity_id: e.entityId,
    entity_type: e.entityType,
    created_by: e.createdBy,
    created_at: e.createdAt,
    value_after: cloneJson(e.valueAfter),
    value_before: cloneJson(e.valueBefore),
    account_id: accountId,
    _links: self(`${base}/api/v4/events/${e.id}`),
    _embedded: { entity: { id: e.entityId, _links: self(`${base}/api/v4/${ENTITY_PATH[e.entityType]}/${e.entityId}`) } },
  };
}
