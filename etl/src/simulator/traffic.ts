/** Sliding 1-second windows: the rate limiter (per token) and the request statistics. */

const WINDOW_MS = 1000;

/** Timestamps within the last second; `count(now)` after `add` is the sliding-window rate. */
class Window {
  private readonly times: number[] = [];
  private head = 0;

  add(now: number): number {
    this.times.push(now);
    return this.count(now);
  }

  count(now: number): number {
    while (this.head < this.times.length && this.times[this.head]! <= now - WINDOW_MS) this.head++;
    if (this.head > 1024) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }
}

/** At most `rps` accepted requests per token in any sliding 1000 ms window; rejected ones do not count. */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(public rps: number) {}

  /** True when the request may proceed (and is recorded). */
  admit(key: string, now: number): boolean {
    if (this.rps <= 0) return true;
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = new Window()));
    if (w.count(now) >= this.rps) return false;
    w.add(now);
    return true;
  }
}

export interface SimulatorStats {
  total: number;
  byPath: Record<string, number>;
  throttled: number;
  status: Record<string, number>;
  /** Max requests (accepted + rejected) in any sliding 1000 ms window. */
  maxPerSecond: number;
  /** Same, counting only requests not answered 429. */
  maxAcceptedPerSecond: number;
}

export class TrafficStats {
  private s!: SimulatorStats;
  private all!: Window;
  private accepted!: Window;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.s = { total: 0, byPath: {}, throttled: 0, status: {}, maxPerSecond: 0, maxAcceptedPerSecond: 0 };
    this.all = new Window();
    this.accepted = new Window();
  }

  /** Recorded at arrival, once the answer's status is known. */
  record(path: string, status: number, arrivedAt: number): void {
    const s = this.s;
    s.total++;
    s.byPath[path] = (s.byPath[path] ?? 0) + 1;
    s.status[String(status)] = (s.status[String(status)] ?? 0) + 1;
    s.maxPerSecond = Math.max(s.maxPerSecond, this.all.add(arrivedAt));
    if (status === 429) s.throttled++;
    else s.maxAcceptedPerSecond = Math.max(s.maxAcceptedPerSecond, this.accepted.add(arrivedAt));
  }

  snapshot(): SimulatorStats {
    return structuredClone(this.s);
  }
}
