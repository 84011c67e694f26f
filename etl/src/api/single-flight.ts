/**
 * Identical GETs that arrive while one is being computed share its answer: a wall of TVs and browsers
 * refreshing the same board costs one query, not fifty. Nothing is kept once the answer is sent, so no
 * answer is older than the request that computed it.
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
