import type { Rng } from './random';
import type { Store } from './store';
import { LOST, WON, type LeadRec, type PipelineRec, type TaskRec, type UserRec } from './types';

/**
 * The building blocks of an agency's day, shared by the history generator and live mode so both
 * produce the same kinds of records through the same store mutations.
 */

const COMPANIES = ['ООО Ромашка', 'Вектор', 'Альфа-Строй', 'ИП Смирнов', 'ТехноПарк', 'Северный ветер', 'Глобус', 'Медиа Плюс', 'Квадрат', 'Атлант', 'Орбита', 'Сфера'];
const PRODUCTS = ['сайт', 'SEO', 'контекст', 'SMM', 'брендинг', 'лендинг', 'поддержка', 'аудит', 'CRM-внедрение'];
const TAGS = [
  { id: 501, name: 'горячий', color: null },
  { id: 502, name: 'повторный', color: null },
  { id: 503, name: 'VIP', color: null },
];
const TASK_TEXTS = ['Перезвонить', 'Отправить КП', 'Согласовать договор', 'Встреча в офисе', 'Уточнить бюджет'];

const STEP_WEIGHTS = { advance: 62, lose: 20, pipeline: 3, jumpWin: 4, stall: 5, back: 6 };
const CALL_PLACES = { lead: 50, contact: 35, both: 15 };
const TASK_TYPES = { '1': 70, '2': 20, '3': 10 };

export function leadName(rng: Rng, id?: number): string {
  return `${rng.pick(COMPANIES)} — ${rng.pick(PRODUCTS)}${id === undefined ? '' : ` #${id % 10000}`}`;
}

export function leadPrice(rng: Rng): number {
  return rng.chance(0.03) ? 0 : rng.int(5, 300) * 1000;
}

export function leadTags(rng: Rng): LeadRec['tags'] {
  return rng.chance(0.2) ? [{ ...rng.pick(TAGS) }] : [];
}

export function phone(rng: Rng): string {
  return `+79${String(rng.int(0, 999999999)).padStart(9, '0')}`;
}

export function isClosed(statusId: number): boolean {
  return statusId === WON || statusId === LOST;
}

/** Active managers at instant t (they create and move things). */
export function activeManagers(users: UserRec[], t: number): UserRec[] {
  return users.filter((u) => !u.isAdmin && u.activeFrom <= t && t <= u.activeTo);
}

/** Creates a lead in the unsorted stage (incoming, robot-created) or the first funnel stage. */
export function newLead(store: Store, rng: Rng, pipeline: PipelineRec, responsible: UserRec, at: number): LeadRec {
  const incoming = rng.chance(0.35);
  const contactIds = [store.newContactId()];
  if (rng.chance(0.1)) contactIds.push(store.newContactId());
  return store.createLead({
    name: leadName(rng),
    price: leadPrice(rng),
    responsibleUserId: responsible.id,
    pipelineId: pipeline.id,
    statusId: incoming ? pipeline.unsortedId : pipeline.funnel[0]!,
    createdAt: at,
    createdBy: incoming ? 0 : responsible.id,
    contactIds,
    tags: leadTags(rng),
  });
}

/**
 * One step of a lead's journey: accept from unsorted, advance, lose, switch pipeline, win, or reopen a
 * closed lead. Returns false when the lead's story is over (closed and not reopened, or stalled).
 */
export function stepLead(store: Store, rng: Rng, lead: LeadRec, at: number, by: number, reopenChance = 0.07): boolean {
  const p = store.pipeline(lead.pipelineId);
  const cur = lead.statusId;
  if (cur === p.unsortedId) {
    store.moveLead(lead, p.id, p.funnel[0]!, at, by);
    return true;
  }
  if (cur === WON) {
    if (!rng.chance(reopenChance)) return false;
    store.moveLead(lead, p.id, p.funnel[p.funnel.length - 1]!, at, by);
    return true;
  }
  if (cur === LOST) {
    if (!rng.chance(reopenChance / 2)) return false;
    store.moveLead(lead, p.id, p.funnel[0]!, at, by);
    return true;
  }
  const step = rng.weighted(STEP_WEIGHTS);
  const idx = p.funnel.indexOf(cur);
  switch (step) {
    case 'advance':
      store.moveLead(lead, p.id, idx + 1 < p.funnel.length ? p.funnel[idx + 1]! : WON, at, by);
      return true;
    case 'jumpWin':
      store.moveLead(lead, p.id, WON, at, by);
      return true;
    case 'lose':
      store.moveLead(lead, p.id, LOST, at, by, rng.chance(0.7) ? rng.pick(store.lossReasons).id : null);
      return true;
    case 'back':
      store.moveLead(lead, p.id, p.funnel[Math.max(0, idx - 1)]!, at, by);
      return true;
    case 'pipeline': {
      const others = store.pipelines.filter((x) => x.id !== p.id);
      if (others.length === 0) return true;
      const target = rng.pick(others);
      store.moveLead(lead, target.id, rng.pick(target.funnel.slice(0, 2)), at, by);
      return true;
    }
    case 'stall':
      return false;
  }
}

/** A call with the telephony quirks: duration sometimes a numeric string or missing, uniq sometimes absent,
 * some calls logged on both the lead and its contact with the same uniq. */
export function addCall(store: Store, rng: Rng, lead: LeadRec, userId: number, at: number): void {
  const talked = rng.chance(0.7);
  const seconds = talked ? rng.int(15, 900) : 0;
  const duration = !talked && rng.chance(0.3) ? undefined : rng.chance(0.15) ? String(seconds) : seconds;
  const where = rng.weighted(CALL_PLACES);
  store.addCall({
    leadId: where === 'contact' ? undefined : lead.id,
    contactId: where === 'lead' ? undefined : lead.contactIds[0],
    direction: rng.chance(0.55) ? 'out' : 'in',
    duration,
    uniq: rng.chance(0.9) ? rng.uuid() : undefined,
    callStatus: talked ? 4 : rng.pick([1, 2, 3, 6, 7]),
    phone: phone(rng),
    at,
    userId,
  });
}

/** Author id of the chat-bot integration: not a user of the account, like real integration bots. */
export const BOT_AUTHOR_ID = 99000001;

/**
 * Incoming from the client, or outgoing by the manager or (about a quarter) by a robot: `created_by` 0
 * (system robot) or the bot integration's id, which is not a user of the account.
 */
export function addMessage(store: Store, rng: Rng, lead: LeadRec, userId: number | null, at: number): void {
  if (rng.chance(0.45)) store.addMessage(lead.id, 'in', at, 0);
  else store.addMessage(lead.id, 'out', at, userId !== null && rng.chance(0.75) ? userId : rng.chance(0.7) ? 0 : BOT_AUTHOR_ID);
}

export function newTask(
  store: Store,
  rng: Rng,
  target: { entityType: 'leads' | 'contacts' | null; entityId: number | null },
  userId: number,
  at: number,
  completeTill: number,
): TaskRec {
  const typeId = rng.weighted(TASK_TYPES);
  return store.addTask({
    ...target,
    responsibleUserId: userId,
    taskTypeId: Number(typeId),
    text: rng.pick(TASK_TEXTS),
    createdAt: at,
    completeTill,
    createdBy: userId,
  });
}

export function completeTask(store: Store, rng: Rng, task: TaskRec, at: number): void {
  store.completeTask(task, at, task.responsibleUserId, rng.chance(0.6) ? rng.pick(['Договорились', 'Не дозвонился', 'КП отправлено']) : undefined);
}
