/**
 * The simulator's own model of an amoCRM account. Deliberately independent of src/amocrm and src/sync:
 * a misunderstanding of the API in the client must not be mirrored here.
 */
export const WON = 142;
export const LOST = 143;

export interface UserRec {
  id: number;
  name: string;
  email: string;
  lang: string;
  isAdmin: boolean;
  isActive: boolean;
  groupId: number | null;
  /** Window of the history in which the user worked (seconds); outside it they create nothing. */
  activeFrom: number;
  activeTo: number;
}

export interface GroupRec {
  id: number;
  name: string;
}

export interface StatusRec {
  id: number;
  name: string;
  sort: number;
  isEditable: boolean;
  color: string;
  type: 0 | 1;
}

export interface PipelineRec {
  id: number;
  name: string;
  sort: number;
  isMain: boolean;
  /** As served: for some pipelines deliberately not in `sort` order. */
  statuses: StatusRec[];
  /** Regular (type 0, not 142/143) statuses in funnel order. */
  funnel: number[];
  unsortedId: number;
}

/** Who owns and who last touched an entity, and when: the fields amoCRM serves on leads, tasks and notes alike. */
export interface Stamped {
  responsibleUserId: number;
  groupId: number;
  createdBy: number;
  updatedBy: number;
  createdAt: number;
  updatedAt: number;
}

export interface LeadRec extends Stamped {
  id: number;
  name: string;
  price: number;
  pipelineId: number;
  statusId: number;
  lossReasonId: number | null;
  closedAt: number | null;
  contactIds: number[];
  tags: { id: number; name: string; color: string | null }[];
  /** 'trash' = deleted and restorable (only_deleted); 'purged' = gone, only its lead_deleted event remains. */
  state: 'active' | 'trash' | 'purged';
}

export interface TaskRec extends Stamped {
  id: number;
  entityId: number | null;
  entityType: 'leads' | 'contacts' | null;
  duration: number;
  isCompleted: boolean;
  taskTypeId: number;
  text: string;
  /** PHP-serialized empty result is `[]`; a filled one `{text}`. */
  result: { text: string } | [];
  completeTill: number;
}

export type NoteParent = 'leads' | 'contacts';

export interface NoteRec extends Stamped {
  id: number;
  parent: NoteParent;
  entityId: number;
  noteType: string;
  params: Record<string, unknown>;
}

export interface EventRec {
  id: string;
  type: string;
  entityId: number;
  entityType: 'lead' | 'contact' | 'task';
  createdBy: number;
  createdAt: number;
  valueBefore: unknown[];
  valueAfter: unknown[];
}

export interface AccountRec {
  id: number;
  name: string;
  subdomain: string;
  createdAt: number;
  currentUserId: number;
  timezone: string;
  currency: string;
  currencySymbol: string;
  country: string;
  amojoId: string;
}

export interface LossReasonRec {
  id: number;
  name: string;
  sort: number;
  createdAt: number;
}
