/**
 * Identical GETs that arrive while one is being computed share its answer: a wall of TVs and browsers
 * refreshing the same board costs one query, not fifty. Nothing is kept here once the answer is sent (the routes
 * share only within one generation of answer-cache.ts, which keeps answers until a write).
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  run<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const pending = this.inFlight.get(key);
    if (pending) return pending as Promise<T>;
    const p = compute().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  get size(): number {
    return this.inFlight.size;
  }
}
