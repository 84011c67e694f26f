import { activeManagers, addCall, addMessage, completeTask, isClosed, newLead, newTask, stepLead } from './activity';
import type { Rng } from './random';
import type { Store } from './store';
import { WON, type LeadRec } from './types';

const DAY = 86400;

export type LiveKind = 'newLead' | 'move' | 'win' | 'call' | 'message' | 'taskCreate' | 'taskComplete' | 'edit' | 'delete' | 'restore';

const WEIGHTS: Record<LiveKind, number> = {
  newLead: 12, move: 22, win: 6, call: 15, message: 15, taskCreate: 8, taskComplete: 10, edit: 6, delete: 2, restore: 1,
};

/**
 * Live mode: one piece of activity at instant `at`, through the same store mutations as the history,
 * so every change bumps updated_at / creates events that incremental syncs must pick up.
 */
export class LiveActivity {
  constructor(
    private readonly store: Store,
    private readonly rng: Rng,
  ) {}

  mutate(count: number, at: number): LiveKind[] {
    const done: LiveKind[] = [];
    for (let i = 0; i < count; i++) done.push(this.once(at));
    return done;
  }

  private once(at: number): LiveKind {
    for (let attempt = 0; attempt < 10; attempt++) {
      const kind = this.rng.weighted(WEIGHTS);
      if (this.apply(kind, at)) return kind;
    }
    this.apply('newLead', at);
    return 'newLead';
  }

  private staff(at: number) {
    return activeManagers(this.store.users, at).filter((u) => u.isActive);
  }

  /** A random lead matching `pred`, by sampling (cheap on a 50k-lead account). */
  private sampleLead(pred: (l: LeadRec) => boolean): LeadRec | undefined {
    const leads = this.store.leads;
    const keys = [...leads.keys()];
    for (let i = 0; i < 200 && keys.length > 0; i++) {
      const l = leads.get(this.rng.pick(keys))!;
      if (pred(l)) return l;
    }
    return [...leads.values()].find(pred);
  }

  private actor(lead: LeadRec, at: number): number {
    const u = this.store.user(lead.responsibleUserId);
    return u && u.isActive && u.activeFrom <= at ? u.id : 0;
  }

  private apply(kind: LiveKind, at: number): boolean {
    const s = this.store;
    const rng = this.rng;
    const open = (l: LeadRec) => l.state === 'active' && !isClosed(l.statusId);
    switch (kind) {
      case 'newLead': {
        const staff = this.staff(at);
        if (staff.length === 0) return false;
        newLead(s, rng, rng.pick(s.pipelines), rng.pick(staff), at);
        return true;
      }
      case 'move': {
        const lead = this.sampleLead(open);
        if (!lead) return false;
        // a "stall" step changes nothing; retry so that the mutation really happens
        const before = s.version;
        for (let i = 0; i < 10 && s.version === before; i++) stepLead(s, rng, lead, at, this.actor(lead, at));
        return s.version !== before;
      }
      case 'win': {
        const lead = this.sampleLead(open);
        if (!lead) return false;
        s.moveLead(lead, lead.pipelineId, WON, at, this.actor(lead, at));
        return true;
      }
      case 'call':
      case 'message': {
        const lead = this.sampleLead((l) => l.state === 'active');
        if (!lead) return false;
        const user = this.actor(lead, at);
        if (kind === 'message') addMessage(s, rng, lead, user || null, at);
        else if (user) addCall(s, rng, lead, user, at);
        else return false;
        return true;
      }
      case 'taskCreate': {
        const lead = this.sampleLead(open);
        const user = lead ? this.actor(lead, at) : 0;
        if (!lead || !user) return false;
        newTask(s, rng, { entityType: 'leads', entityId: lead.id }, user, at, at + rng.int(-DAY, 5 * DAY));
        return true;
      }
      case 'taskComplete': {
        const keys = [...s.tasks.keys()];
        for (let i = 0; i < 200 && keys.length > 0; i++) {
          const t = s.tasks.get(rng.pick(keys))!;
          if (!t.isCompleted) {
            completeTask(s, rng, t, at);
            return true;
          }
        }
        return false;
      }
      case 'edit': {
        const lead = this.sampleLead(open);
        if (!lead) return false;
        s.editLead(lead, { price: rng.int(5, 300) * 1000 }, at, this.actor(lead, at));
        return true;
      }
      case 'delete': {
        const lead = this.sampleLead((l) => l.state === 'active');
        if (!lead) return false;
        s.deleteLead(lead, at, this.actor(lead, at) || s.account.currentUserId);
        return true;
      }
      case 'restore': {
        const lead = [...s.leads.values()].find((l) => l.state === 'trash');
        if (!lead) return false;
        s.restoreLead(lead, at, s.account.currentUserId);
        return true;
      }
    }
  }
}
