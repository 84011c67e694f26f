import type { Stream } from '../types';
import { account } from './account';
import { users } from './users';
import { pipelines } from './pipelines';
import { deletedLeads } from './deleted-leads';
import { leads } from './leads';
import { tasks } from './tasks';
import { events } from './events';
import { leadNotes, contactNotes } from './notes';

/**
 * Canonical order: reference data first; the trash before the live list (a lead restored in between is
 * then seen alive last); events after leads and tasks so their deletions land on rows that exist.
 */
export const STREAMS: Stream[] = [account, users, pipelines, deletedLeads, leads, tasks, events, leadNotes, contactNotes] as Stream[];

export function streamNames(): string[] {
  return STREAMS.map((s) => s.name);
}
