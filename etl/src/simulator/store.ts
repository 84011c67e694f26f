import type { Rng } from './random';
import {
  LOST,
  WON,
  type AccountRec,
  type EventRec,
  type GroupRec,
  type LeadRec,
  type LossReasonRec,
  type NoteParent,
  type NoteRec,
  type PipelineRec,
  type TaskRec,
  type UserRec,
} from './types';

const CROCKFORD_CODES = [...'0123456789abcdefghjkmnpqrstvwxyz'].map((c) => c.charCodeAt(0));

/**
 * In-memory account state. Generation and live mode both change it only through these methods, so
 * the history (events) and the current state cannot disagree. Every mutation bumps `version`, which
 * invalidates the query caches.
 */
export class Store {
  version = 0;
  readonly users: UserRec[] = [];
  readonly groups: GroupRec[] = [];
  readonly pipelines: PipelineRec[] = [];
  readonly lossReasons: LossReasonRec[] = [];
  readonly leads = new Map<number, LeadRec>();
  readonly tasks = new Map<number, TaskRec>();
  readonly notes: Record<NoteParent, Map<number, NoteRec>> = { leads: new Map(), contacts: new Map() };
  /** Ascending by (created_at, id) once `eventsAsc()` has run; live events may arrive out of order. */
  private readonly events: EventRec[] = [];
  private eventsSorted = true;
  /** Built on the first lookup by id (rare), not while generating 500k events. */
  private byEventId: Map<string, EventRec> | undefined;
  /** Tasks per lead, for `closest_task_at`. */
  private readonly leadTasks = new Map<number, TaskRec[]>();
  private nextIds = { lead: 0, task: 0, note: 0, contact: 0 };
  /** Per-second counters making event ids (ULID-like) increase in creation order within a second. */
  private readonly secondSeq = new Map<number, number>();

  constructor(
    readonly account: AccountRec,
    private readonly rng: Rng,
    idBase: { lead: number; task: number; note: number; contact: number },
  ) {
    this.nextIds = { ...idBase };
  }

  eventsAsc(): readonly EventRec[] {
    if (!this.eventsSorted) {
      this.events.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      this.eventsSorted = true;
    }
    return this.events;
  }

  event(id: string): EventRec | undefined {
    this.byEventId ??= new Map(this.events.map((e) => [e.id, e]));
    return this.byEventId.get(id);
  }

  newContactId(): number {
    return this.nextIds.contact++;
  }

  user(id: number): UserRec | undefined {
    return this.users.find((u) => u.id === id);
  }

  pipeline(id: number): PipelineRec {
    const p = this.pipelines.find((x) => x.id === id);
    if (!p) throw new Error(`simulator: unknown pipeline ${id}`);
    return p;
  }

  groupOf(userId: number): number {
    return this.user(userId)?.groupId ?? 0;
  }

  closestTaskAt(leadId: number): number | null {
    let best: number | null = null;
    for (const t of this.leadTasks.get(leadId) ?? []) {
      if (!t.isCompleted && this.tasks.has(t.id) && (best === null || t.completeTill < best)) best = t.completeTill;
    }
    return best;
  }

  private eventId(createdAt: number): string {
    const seq = this.secondSeq.get(createdAt) ?? 0;
    this.secondSeq.set(createdAt, seq + 1);
    const codes = new Array<number>(26);
    let ms = createdAt * 1000 + Math.min(seq, 999);
    for (let i = 9; i >= 0; i--) {
      codes[i] = CROCKFORD_CODES[ms % 32]!;
      ms = Math.floor(ms / 32);
    }
    // 80 random bits as 16 base-32 digits, from three 32-bit draws
    let pos = 10;
    for (let k = 0; k < 3; k++) {
      let bits = Math.floor(this.rng.next() * 0x100000000);
      for (let i = 0; i < (k < 2 ? 6 : 4); i++) {
        codes[pos++] = CROCKFORD_CODES[bits & 31]!;
        bits >>>= 5;
      }
    }
    return String.fromCharCode(...codes);
  }

  addEvent(e: Omit<EventRec, 'id'>): EventRec {
    const ev: EventRec = {
      id: this.eventId(e.createdAt),
      type: e.type,
      entityId: e.entityId,
      entityType: e.entityType,
      createdBy: e.createdBy,
      createdAt: e.createdAt,
      valueBefore: e.valueBefore,
      valueAfter: e.valueAfter,
    };
    const last = this.events[this.events.length - 1];
    if (last && (last.createdAt > ev.createdAt || (last.createdAt === ev.createdAt && last.id > ev.id))) this.eventsSorted = false;
    this.events.push(ev);
    this.byEventId?.set(ev.id, ev);
    this.version++;
    return ev;
  }

  private addNoteRec(n: Omit<NoteRec, 'id' | 'updatedAt' | 'updatedBy' | 'groupId'>): NoteRec {
    const note: NoteRec = {
      id: this.nextIds.note++,
      updatedAt: n.createdAt,
      updatedBy: n.createdBy,
      groupId: this.groupOf(n.responsibleUserId),
      ...n,
    };
    this.notes[note.parent].set(note.id, note);
    this.version++;
    return note;
  }

  createLead(input: {
    name: string;
    price: number;
    responsibleUserId: number;
    pipelineId: number;
    statusId: number;
    createdAt: number;
    createdBy: number;
    contactIds: number[];
    tags?: LeadRec['tags'];
  }): LeadRec {
    const lead: LeadRec = {
      id: this.nextIds.lead++,
      name: input.name,
      price: input.price,
      responsibleUserId: input.responsibleUserId,
      groupId: this.groupOf(input.responsibleUserId),
      pipelineId: input.pipelineId,
      statusId: input.statusId,
      lossReasonId: null,
      createdBy: input.createdBy,
      updatedBy: input.createdBy,
      createdAt: input.createdAt,
      updatedAt: input.createdAt,
      closedAt: null,
      contactIds: input.contactIds,
      tags: input.tags ?? [],
      state: 'active',
    };
    this.leads.set(lead.id, lead);
    // amoCRM logs lead creation as an event pointing at a service note
    const note = this.addNoteRec({
      parent: 'leads',
      entityId: lead.id,
      createdBy: input.createdBy,
      createdAt: input.createdAt,
      responsibleUserId: input.responsibleUserId,
      noteType: 'common',
      params: { text: 'Сделка создана' },
    });
    this.addEvent({
      type: 'lead_added',
      entityId: lead.id,
      entityType: 'lead',
      createdBy: input.createdBy,
      createdAt: input.createdAt,
      valueBefore: [],
      valueAfter: [{ note: { id: note.id } }],
    });
    return lead;
  }

  private touchLead(lead: LeadRec, at: number, by: number): void {
    lead.updatedAt = Math.max(lead.updatedAt, at);
    lead.updatedBy = by;
    this.version++;
  }

  /** A stage move (also across pipelines): one lead_status_changed event, closed_at on entering 142/143. */
  moveLead(lead: LeadRec, pipelineId: number, statusId: number, at: number, by: number, lossReasonId: number | null = null): EventRec {
    const before = { lead_status: { id: lead.statusId, pipeline_id: lead.pipelineId } };
    lead.pipelineId = pipelineId;
    lead.statusId = statusId;
    // Reopening keeps the stale closed_at (amoCRM does too): clients must trust status, not closed_at.
    if (statusId === WON || statusId === LOST) lead.closedAt = at;
    lead.lossReasonId = statusId === LOST ? lossReasonId : null;
    this.touchLead(lead, at, by);
    return this.addEvent({
      type: 'lead_status_changed',
      entityId: lead.id,
      entityType: 'lead',
      createdBy: by,
      createdAt: at,
      valueBefore: [before],
      valueAfter: [{ lead_status: { id: statusId, pipeline_id: pipelineId } }],
    });
  }

  editLead(lead: LeadRec, change: { price?: number; responsibleUserId?: number }, at: number, by: number): void {
    if (change.price !== undefined && change.price !== lead.price) {
      this.addEvent({
        type: 'sale_field_changed',
        entityId: lead.id,
        entityType: 'lead',
        createdBy: by,
        createdAt: at,
        valueBefore: [{ sale_field_value: { sale: lead.price } }],
        valueAfter: [{ sale_field_value: { sale: change.price } }],
      });
      lead.price = change.price;
    }
    if (change.responsibleUserId !== undefined && change.responsibleUserId !== lead.responsibleUserId) {
      this.addEvent({
        type: 'entity_responsible_changed',
        entityId: lead.id,
        entityType: 'lead',
        createdBy: by,
        createdAt: at,
        valueBefore: [{ responsible_user: { id: lead.responsibleUserId } }],
        valueAfter: [{ responsible_user: { id: change.responsibleUserId } }],
      });
      lead.responsibleUserId = change.responsibleUserId;
      lead.groupId = this.groupOf(change.responsibleUserId);
    }
    this.touchLead(lead, at, by);
  }

  /** To the trash (restorable) or purged (gone from every list; only the event remains). */
  deleteLead(lead: LeadRec, at: number, by: number, purge = false): void {
    lead.state = purge ? 'purged' : 'trash';
    this.touchLead(lead, at, by);
    this.addEvent({ type: 'lead_deleted', entityId: lead.id, entityType: 'lead', createdBy: by, createdAt: at, valueBefore: [], valueAfter: [] });
  }

  restoreLead(lead: LeadRec, at: number, by: number): void {
    if (lead.state !== 'trash') throw new Error(`simulator: lead ${lead.id} is not in the trash`);
    lead.state = 'active';
    this.touchLead(lead, at, by);
    this.addEvent({ type: 'lead_restored', entityId: lead.id, entityType: 'lead', createdBy: by, createdAt: at, valueBefore: [], valueAfter: [] });
  }

  /** A call note on a lead and/or a contact; `both` duplicates it on the two with the same uniq. */
  addCall(input: {
    leadId?: number;
    contactId?: number;
    direction: 'in' | 'out';
    duration: number | string | undefined;
    uniq: string | undefined;
    callStatus: number;
    phone: string;
    at: number;
    userId: number;
  }): NoteRec[] {
    const params: Record<string, unknown> = {
      source: 'onlinePBX',
      link: `https://pbx.example.com/rec/${input.uniq ?? input.at}.mp3`,
      phone: input.phone,
      call_result: input.callStatus === 4 ? 'Разговор состоялся' : '',
      call_status: input.callStatus,
    };
    if (input.uniq !== undefined) params.uniq = input.uniq;
    if (input.duration !== undefined) params.duration = input.duration;
    const noteType = input.direction === 'in' ? 'call_in' : 'call_out';
    const targets: [NoteParent, number, 'lead' | 'contact'][] = [];
    if (input.leadId !== undefined) targets.push(['leads', input.leadId, 'lead']);
    if (input.contactId !== undefined) targets.push(['contacts', input.contactId, 'contact']);
    return targets.map(([parent, entityId, entityType]) => {
      const note = this.addNoteRec({
        parent,
        entityId,
        createdBy: input.userId,
        createdAt: input.at,
        responsibleUserId: input.userId,
        noteType,
        params: { ...params },
      });
      this.addEvent({
        type: input.direction === 'in' ? 'incoming_call' : 'outgoing_call',
        entityId,
        entityType,
        createdBy: input.userId,
        createdAt: input.at,
        valueBefore: [],
        valueAfter: [{ note: { id: note.id } }],
      });
      return note;
    });
  }

  /** Chat message on a lead; outgoing ones by a user or (createdBy 0) by a robot; incoming always 0. */
  addMessage(leadId: number, direction: 'in' | 'out', at: number, by: number): EventRec {
    return this.addEvent({
      type: direction === 'in' ? 'incoming_chat_message' : 'outgoing_chat_message',
      entityId: leadId,
      entityType: 'lead',
      createdBy: direction === 'in' ? 0 : by,
      createdAt: at,
      valueBefore: [],
      valueAfter: [{ message: { id: this.rng.uuid(), origin: 'telegram', talk_id: this.rng.int(1, 99999) } }],
    });
  }

  addTask(input: {
    entityType: 'leads' | 'contacts' | null;
    entityId: number | null;
    responsibleUserId: number;
    taskTypeId: number;
    text: string;
    createdAt: number;
    completeTill: number;
    createdBy: number;
  }): TaskRec {
    const task: TaskRec = {
      id: this.nextIds.task++,
      createdBy: input.createdBy,
      updatedBy: input.createdBy,
      createdAt: input.createdAt,
      updatedAt: input.createdAt,
      responsibleUserId: input.responsibleUserId,
      groupId: this.groupOf(input.responsibleUserId),
      entityId: input.entityId,
      entityType: input.entityType,
      duration: input.taskTypeId === 2 ? 3600 : 0,
      isCompleted: false,
      taskTypeId: input.taskTypeId,
      text: input.text,
      result: [],
      completeTill: input.completeTill,
    };
    this.tasks.set(task.id, task);
    if (task.entityType === 'leads' && task.entityId !== null) {
      const list = this.leadTasks.get(task.entityId) ?? [];
      list.push(task);
      this.leadTasks.set(task.entityId, list);
    }
    this.addEvent({ type: 'task_added', entityId: task.id, entityType: 'task', createdBy: task.createdBy, createdAt: task.createdAt, valueBefore: [], valueAfter: [] });
    return task;
  }

  completeTask(task: TaskRec, at: number, by: number, resultText?: string): void {
    task.isCompleted = true;
    task.result = resultText ? { text: resultText } : [];
    task.updatedAt = Math.max(task.updatedAt, at);
    task.updatedBy = by;
    this.addEvent({ type: 'task_completed', entityId: task.id, entityType: 'task', createdBy: by, createdAt: at, valueBefore: [], valueAfter: [] });
  }

  /** Tasks have no trash: they vanish and only a task_deleted event tells. */
  deleteTask(task: TaskRec, at: number, by: number): void {
    this.tasks.delete(task.id);
    this.addEvent({ type: 'task_deleted', entityId: task.id, entityType: 'task', createdBy: by, createdAt: at, valueBefore: [], valueAfter: [] });
  }
}
