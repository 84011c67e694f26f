import { z } from 'zod';

/**
 * amoCRM v4 entities as the sync reads them. Loose objects: amoCRM adds fields over time and the raw
 * payload is kept, so unknown keys pass through; only the fields the tables use are checked.
 */
const unix = z.number().int().nonnegative();
const id = z.number().int();
const nullableId = id.nullable().optional();

export const accountSchema = z.looseObject({
  id,
  name: z.string(),
  subdomain: z.string().nullable().optional(),
  currency: z.string(),
  timezone: z.string().optional(),
  _embedded: z.looseObject({ datetime_settings: z.looseObject({ timezone: z.string() }).optional() }).optional(),
});
export type AmoAccount = z.infer<typeof accountSchema>;

export const userSchema = z.looseObject({
  id,
  name: z.string(),
  email: z.string().nullable().optional(),
  // Full user data is admin-only in some accounts (reference 4.3): `rights` may be missing; users.ts decides.
  rights: z.looseObject({ is_active: z.boolean().optional() }).nullable().optional(),
});
export type AmoUser = z.infer<typeof userSchema>;

export const statusSchema = z.looseObject({
  id,
  name: z.string(),
  sort: z.number().int().optional(),
  pipeline_id: id.optional(),
  type: z.number().int().optional(),
});

export const pipelineSchema = z.looseObject({
  id,
  name: z.string(),
  sort: z.number().int().optional(),
  is_main: z.boolean().optional(),
  is_archive: z.boolean().optional(),
  _embedded: z.looseObject({ statuses: z.array(statusSchema) }),
});
export type AmoPipeline = z.infer<typeof pipelineSchema>;

export const leadSchema = z.looseObject({
  id,
  name: z.string().nullable().optional(),
  price: z.number().nullable().optional(),
  responsible_user_id: nullableId,
  pipeline_id: nullableId,
  status_id: nullableId,
  created_by: nullableId,
  created_at: unix.nullable().optional(),
  updated_at: unix,
  closed_at: unix.nullable().optional(),
  is_deleted: z.boolean().optional(),
});
export type AmoLead = z.infer<typeof leadSchema>;

export const taskSchema = z.looseObject({
  id,
  responsible_user_id: nullableId,
  entity_id: nullableId,
  entity_type: z.string().nullable().optional(),
  task_type_id: nullableId,
  text: z.string().nullable().optional(),
  is_completed: z.boolean(),
  complete_till: unix.nullable().optional(),
  created_at: unix.nullable().optional(),
  updated_at: unix,
});
export type AmoTask = z.infer<typeof taskSchema>;

export const eventSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string(),
  entity_id: nullableId,
  entity_type: z.string().nullable().optional(),
  created_by: nullableId,
  created_at: unix,
  value_before: z.unknown().optional(),
  value_after: z.unknown().optional(),
});
export type AmoEvent = z.infer<typeof eventSchema>;

export const noteSchema = z.looseObject({
  id,
  entity_id: nullableId,
  note_type: z.string(),
  responsible_user_id: nullableId,
  created_by: nullableId,
  created_at: unix,
  updated_at: unix,
  // Telephony integrations fill params freely: duration may be a numeric string, anything may be missing.
  params: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type AmoNote = z.infer<typeof noteSchema>;
