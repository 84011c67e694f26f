/**
 * Request-rate limiting shared by every client of one amoCRM account in this process.
 *
 * amoCRM allows 7 requests/second and blocks accounts that keep exceeding it, so "never exceed" is the
 * requirement, not "on average". Sends are spaced at least `1000 * (1 + GUARD) / rps` ms apart, measured
 * from the moment each request was actually handed to the socket (not from when its slot was planned), so
 * a late timer or a busy event loop can never squeeze two requests closer together. Any 1000 ms window
 * then holds at most floor(rps) requests, with GUARD absorbing network/arrival jitter on the server side.
 */
export const GUARD = 0.05;

export interface Limiter {
  /** Resolves when a request may be sent now; the caller must send immediately. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Holds every waiter until `until` (epoch ms): a 429 means the account is over budget for everyone. */
  holdUntil(until: number): void;
  /** Spacing between two sends in ms (0 = unlimited). */
  readonly gapMs: number;
}

function gapFor(rps: number): number {
  const perSecond = rps >= 1 ? Math.floor(rps) : rps;
  return (1000 * (1 + GUARD)) / perSecond;
}

class SpacingLimiter implements Limiter {
  gapMs: number;
  private lastSend = -Infinity;
  private hold = 0;
  private readonly waiters: Array<{ resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(rps: number) {
    this.gapMs = gapFor(rps);
  }

  setRps(rps: number): void {
    this.gapMs = gapFor(rps);
  }

  acquire(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      this.waiters.push({ resolve, reject, signal });
      this.pump();
    });
  }

  holdUntil(until: number): void {
    if (until > this.hold) this.hold = until;
  }

  private pump(): void {
    if (this.timer) return;
    while (this.waiters.length) {
      const w = this.waiters[0]!;
      if (w.signal?.aborted) {
        this.waiters.shift();
        w.reject(w.signal.reason);
        continue;
      }
      const now = performance.now();
      const wallWait = this.hold - Date.now();
      const wait = Math.max(this.lastSend + this.gapMs - now, wallWait, 0);
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.ceil(wait));
        return;
      }
      this.waiters.shift();
      this.lastSend = now;
      w.resolve();
      // One grant per turn: the granted request is sent synchronously after its await resumes, and the next
      // waiter will need a full gap anyway.
    }
  }
}

class Unlimited implements Limiter {
  readonly gapMs = 0;
  async acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
  }
  holdUntil(): void {}
}

/** State shared by all clients of one account (keyed by origin) inside this process. */
export interface AccountState {
  limiter: Limiter;
  /** Set by a 403 block answer: requests fail fast until this epoch ms instead of hammering amoCRM. */
  blockedUntil: number;
}

const accounts = new Map<string, { state: AccountState; limiter: SpacingLimiter; rps: number; refs: number }>();

/**
 * Joins the account's shared limiter. Clients configured with different rates for one account share the
 * strictest one. rps 0 = no limiter (benchmarks of the transport itself only), not shared.
 */
export function joinAccount(origin: string, rps: number): { state: AccountState; release(): void } {
  if (rps === 0) return { state: { limiter: new Unlimited(), blockedUntil: 0 }, release() {} };
  let entry = accounts.get(origin);
  if (!entry) {
    const limiter = new SpacingLimiter(rps);
    entry = { state: { limiter, blockedUntil: 0 }, limiter, rps, refs: 0 };
    accounts.set(origin, entry);
  } else if (entry.refs === 0 ? rps !== entry.rps : rps < entry.rps) {
    entry.rps = rps;
    entry.limiter.setRps(rps);
  }
  entry.refs++;
  let released = false;
  const e = entry;
  return {
    state: e.state,
    release() {
      if (released) return;
      released = true;
      // The limiter outlives its clients (a client closed and a new one opened a moment later must still
      // keep the spacing); a block, though, is forgotten once nobody uses the account.
      if (--e.refs === 0) e.state.blockedUntil = 0;
    },
  };
}

/** A limiter that never waits (the OAuth token endpoint, which is not under the API rate budget). */
export function noLimit(): Limiter {
  return new Unlimited();
}
