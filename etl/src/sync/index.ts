/** The sync engine's public surface: one run (`runSync`), the scheduled worker (`startWorker`) and their types. */
export { runSync, selectStreams, UnknownStreamError, type SyncOptions } from './engine';
export { startWorker, type Worker, type WorkerOptions, type RunOutcome } from './worker';
export { SyncBusyError, withSyncLock } from './lock';
export { apiFromConfig } from './client';
export { streamNames } from './streams';
export type { StreamResult, SyncMode, ProgressEvent } from './types';
