import {
  activeManagers,
  addCall,
  addMessage,
  completeTask,
  isClosed,
  newLead,
  newTask,
  stepLead,
} from './activity';
import { ZoneClock } from './clock';
import { Rng } from './random';
import { Store } from './store';
import { LOST, WON, type LeadRec, type PipelineRec, type StatusRec, type UserRec } from './types';

export interface GenerateOptions {
  seed: number;
  managers: number;
  pipelines: number;
  months: number;
  leads: number;
  /** Unix seconds the history ends at. */
  now: number;
  timezone: string;
  subdomain: string;
}

const DAY = 86400;
const NAMES = [
  'Иван Петров', 'Мария Смирнова', 'Алексей Кузнецов', 'Ольга Попова', 'Дмитрий Соколов', 'Анна Лебедева',
  'Сергей Козлов', 'Елена Новикова', 'Павел Морозов', 'Наталья Волкова', 'Кирилл Фёдоров', 'Татьяна Егорова',
  'Михаил Орлов', 'Юлия Зайцева', 'Андрей Белов', 'Ксения Медведева',
];
const PIPELINE_NAMES = ['Продажи', 'Повторные продажи', 'Тендеры', 'Партнёры', 'Франшиза'];
const STAGE_NAMES = ['Первичный контакт', 'Квалификация', 'Переговоры', 'Подготовка КП', 'КП отправлено', 'Согласование договора', 'Счёт выставлен'];
const COLORS = ['#99ccff', '#ffff99', '#ffcc66', '#ccc8f9', '#87f2c0', '#f9deff', '#deff81'];

function buildUsers(rng: Rng, o: GenerateOptions, start: number, idBase: number, groups: number[]): UserRec[] {
  const span = o.now - start;
  const users: UserRec[] = [];
  const add = (isAdmin: boolean, activeFrom: number, activeTo: number, isActive: boolean) => {
    const i = users.length;
    users.push({
      id: idBase + i * 1000 + rng.int(1, 999), // growing ids with gaps, like real accounts
      name: NAMES[i % NAMES.length]! + (i >= NAMES.length ? ` ${Math.floor(i / NAMES.length) + 1}` : ''),
      email: `user${i + 1}@${o.subdomain}.example.com`,
      lang: 'ru',
      isAdmin,
      isActive,
      groupId: isAdmin ? null : groups[i % groups.length]!,
      activeFrom,
      activeTo,
    });
  };
  add(true, start, Number.MAX_SAFE_INTEGER, true); // head of sales, the token's owner
  for (let i = 0; i < o.managers; i++) {
    // one manager joined during the year: their history starts later
    const from = i === o.managers - 1 && o.managers > 2 ? start + Math.floor(span * 0.4) : start;
    add(false, from, Number.MAX_SAFE_INTEGER, true);
  }
  // former managers: deactivated part-way through the history, still listed (rights.is_active = false)
  const inactive = Math.max(1, Math.round(o.managers / 5));
  for (let i = 0; i < inactive; i++) add(false, start, start + Math.floor(span * (0.35 + 0.3 * rng.next())), false);
  return users;
}

function buildPipelines(rng: Rng, o: GenerateOptions, accountId: number): PipelineRec[] {
  const used = new Set<number>();
  const statusId = () => {
    let id: number;
    do id = 50000000 + rng.int(0, 9999999);
    while (used.has(id));
    used.add(id);
    return id;
  };
  const pipelines: PipelineRec[] = [];
  for (let i = 0; i < o.pipelines; i++) {
    const stageCount = rng.int(4, 6);
    const unsorted: StatusRec = { id: statusId(), name: 'Неразобранное', sort: 10, isEditable: false, color: '#c1c1c1', type: 1 };
    const names = [...STAGE_NAMES].sort(() => rng.next() - 0.5).slice(0, stageCount);
    // ids are random, so id order differs from funnel (sort) order
    const funnel: StatusRec[] = names.map((name, k) => ({ id: statusId(), name, sort: 20 + k * 10, isEditable: true, color: COLORS[k % COLORS.length]!, type: 0 }));
    const won: StatusRec = { id: WON, name: 'Успешно реализовано', sort: 10000, isEditable: false, color: '#CCFF66', type: 0 };
    const lost: StatusRec = { id: LOST, name: 'Закрыто и не реализовано', sort: 11000, isEditable: false, color: '#D5D8DB', type: 0 };
    const statuses = [unsorted, ...funnel, won, lost];
    // the main pipeline lists stages in sort order; the others in id order (clients must sort themselves)
    if (i > 0) statuses.sort((a, b) => a.id - b.id);
    pipelines.push({
      id: 7000000 + accountId % 1000 * 1000 + i * 37 + rng.int(1, 30),
      name: PIPELINE_NAMES[i % PIPELINE_NAMES.length]! + (i >= PIPELINE_NAMES.length ? ` ${i + 1}` : ''),
      sort: (i + 1) * 100,
      isMain: i === 0,
      statuses,
      funnel: funnel.map((s) => s.id),
      unsortedId: unsorted.id,
    });
  }
  return pipelines;
}

/**
 * A deterministic agency: users (some inactive), pipelines, and leads whose whole history (stage moves,
 * pipeline switches, wins, reopenings, deletions, restores, calls, chats, tasks) is replayed through
 * the store, so the event log and the current state agree by construction.
 */
export function generateAccount(o: GenerateOptions): { store: Store; clock: ZoneClock } {
  const rng = new Rng(o.seed);
  const clock = new ZoneClock(o.timezone);
  const start = o.now - Math.round(o.months * 30.4375 * DAY);
  const accountId = 29000000 + rng.int(0, 999999);
  const store = new Store(
    {
      id: accountId,
      name: `Агентство ${o.subdomain}`,
      subdomain: o.subdomain,
      createdAt: start - 30 * DAY,
      currentUserId: 0,
      timezone: o.timezone,
      currency: 'RUB',
      currencySymbol: '₽',
      country: 'RU',
      amojoId: rng.uuid(),
    },
    rng.fork('ids'),
    { lead: 20000000 + rng.int(0, 99999) * 10, task: 3000000 + rng.int(0, 9999), note: 40000000 + rng.int(0, 99999), contact: 60000000 + rng.int(0, 99999) },
  );
  store.groups.push({ id: 380000 + rng.int(0, 999), name: 'Отдел продаж 1' }, { id: 390000 + rng.int(0, 999), name: 'Отдел продаж 2' });
  store.users.push(...buildUsers(rng.fork('users'), o, start, 8000000 + rng.int(0, 99) * 10000, store.groups.map((g) => g.id)));
  store.account.currentUserId = store.users[0]!.id;
  store.pipelines.push(...buildPipelines(rng.fork('pipelines'), o, accountId));
  store.lossReasons.push(
    { id: 11000 + rng.int(0, 999), name: 'Дорого', sort: 1, createdAt: start },
    { id: 12000 + rng.int(0, 999), name: 'Выбрали конкурента', sort: 2, createdAt: start },
    { id: 13000 + rng.int(0, 999), name: 'Пропала потребность', sort: 3, createdAt: start },
  );

  const story = rng.fork('leads');
  const createdTimes: number[] = [];
  for (let i = 0; i < o.leads; i++) {
    let t = clock.workTime(start + Math.floor(story.next() * (o.now - start)), story);
    if (t >= o.now) t = o.now - story.int(60, 6 * 3600);
    createdTimes.push(t);
  }
  createdTimes.sort((a, b) => a - b); // ids grow with creation time, as in amoCRM
  for (const createdAt of createdTimes) generateLead(store, story, clock, o, createdAt);
  store.eventsAsc(); // sort once, not per request
  return { store, clock };
}

function generateLead(store: Store, rng: Rng, clock: ZoneClock, o: GenerateOptions, createdAt: number): void {
  const staff = activeManagers(store.users, createdAt);
  let owner = rng.pick(staff);
  const pipeline = rng.chance(0.6) ? store.pipelines[0]! : rng.pick(store.pipelines);
  const lead = newLead(store, rng, pipeline, owner, createdAt);

  // the stage journey
  let t = createdAt;
  let lastChange = createdAt;
  for (let step = 0; step < 40; step++) {
    t = clock.workTime(t + Math.max(900, Math.floor(rng.exp(2.5 * DAY))), rng);
    if (t >= o.now) break;
    if (t > owner.activeTo && !isClosed(lead.statusId)) {
      // a leaving manager's open deals are handed over
      const handover = Math.min(owner.activeTo, t - 60);
      owner = rng.pick(activeManagers(store.users, t));
      store.editLead(lead, { responsibleUserId: owner.id }, Math.max(handover, lastChange + 1), store.users[0]!.id);
    }
    const by = rng.chance(0.1) ? 0 : t <= owner.activeTo ? owner.id : 0;
    if (!stepLead(store, rng, lead, t, by)) break;
    lastChange = t;
  }

  // deletion (trash, purge) and restore, after the last move
  let activityEnd = isClosed(lead.statusId) ? Math.min(o.now, (lead.closedAt ?? o.now) + 2 * DAY) : o.now;
  if (rng.chance(0.035)) {
    const tDel = clock.workTime(lastChange + Math.floor(rng.exp(5 * DAY)), rng);
    if (tDel < o.now) {
      const purge = rng.chance(0.1);
      const restore = !purge && rng.chance(0.25);
      const tRestore = clock.workTime(tDel + Math.floor(rng.exp(2 * DAY)) + 60, rng);
      const by = owner.activeTo >= tDel ? owner.id : store.users[0]!.id;
      store.deleteLead(lead, tDel, by, purge);
      if (restore && tRestore < o.now) store.restoreLead(lead, tRestore, by);
      else activityEnd = Math.min(activityEnd, tDel);
    }
  }

  activity(store, rng, clock, lead, createdAt, activityEnd, o.now);
}

function activity(store: Store, rng: Rng, clock: ZoneClock, lead: LeadRec, from: number, to: number, now: number): void {
  const span = Math.max(1, to - from);
  const within = (x: number) => Math.min(to, clock.workTime(from + Math.floor(x * span), rng));
  const actorAt = (at: number): number | null => {
    const u = store.user(lead.responsibleUserId);
    return u && u.activeFrom <= at && at <= u.activeTo ? u.id : null;
  };
  for (let i = rng.poisson(3.5); i > 0; i--) {
    const at = within(rng.next());
    addMessage(store, rng, lead, actorAt(at), at);
  }
  for (let i = rng.poisson(1.6); i > 0; i--) {
    const at = within(rng.next());
    const user = actorAt(at);
    if (user !== null) addCall(store, rng, lead, user, at);
  }
  // completed follow-ups along the way
  for (let i = rng.poisson(1); i > 0; i--) {
    const at = within(rng.next());
    const user = actorAt(at);
    if (user === null) continue;
    const till = at + rng.int(1, 3) * DAY;
    const task = newTask(store, rng, { entityType: 'leads', entityId: lead.id }, user, at, till);
    const doneAt = Math.max(at + 60, clock.workTime(till - rng.int(0, DAY) + rng.int(0, 2 * DAY), rng));
    if (doneAt < now) completeTask(store, rng, task, doneAt);
    if (rng.chance(0.02)) store.deleteTask(task, Math.min(now - 1, Math.max(task.updatedAt, at) + 3600), user);
  }
  const owner = store.user(lead.responsibleUserId);
  if (!owner || !owner.isActive) return;
  // the current open task: on most open leads (some overdue), rarely left on closed ones
  const openLead = lead.state === 'active' && !isClosed(lead.statusId);
  if (rng.chance(openLead ? 0.75 : 0.05)) {
    const at = Math.max(from, now - rng.int(3600, 10 * DAY));
    newTask(store, rng, { entityType: 'leads', entityId: lead.id }, owner.id, at, now + rng.int(-6 * DAY, 8 * DAY));
  }
  if (rng.chance(0.05)) {
    const at = Math.max(from, now - rng.int(3600, 10 * DAY));
    newTask(store, rng, { entityType: 'contacts', entityId: lead.contactIds[0]! }, owner.id, at, now + rng.int(-3 * DAY, 5 * DAY));
  }
  if (rng.chance(0.005)) newTask(store, rng, { entityType: null, entityId: null }, owner.id, Math.max(from, now - DAY), now + DAY);
}
