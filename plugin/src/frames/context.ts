/** What frame builders need besides the payload. */
export interface Bands {
  red: number;
  green: number;
}

export interface FrameContext {
  refId: string;
  currency?: string | null;
  /** Account time zone (IANA), for turning the API's calendar days into instants. */
  timezone?: string | null;
  /** Client-side manager filter: the API filters some endpoints by one manager only. */
  managerIds?: number[];
}

export function keepManager(ctx: FrameContext, managerId: number | null | undefined): boolean {
  return !ctx.managerIds || (managerId !== null && managerId !== undefined && ctx.managerIds.includes(managerId));
}
