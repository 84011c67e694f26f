interface WeightTable<K> {
  keys: K[];
  weights: number[];
  total: number;
}
const tables = new WeakMap<object, WeightTable<string>>();
const HEX_CODES = [...'0123456789abcdef'].map((c) => c.charCodeAt(0));

/**
 * Seeded PRNG (mulberry32) so a seed always yields the same agency. Math.random is never used for data:
 * other engineers' tests compare figures computed from the same seed.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    // Mix the seed so that nearby seeds (1, 2, 3) do not start with correlated sequences.
    let s = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
    this.state = s;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick on an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks a key by relative weight (tables are cached per weights object, so pass constants). */
  weighted<K extends string>(weights: Record<K, number>): K {
    let table = tables.get(weights) as WeightTable<K> | undefined;
    if (!table) {
      const entries = Object.entries(weights) as [K, number][];
      table = { keys: entries.map(([k]) => k), weights: entries.map(([, w]) => w), total: entries.reduce((s, [, w]) => s + w, 0) };
      tables.set(weights, table);
    }
    let x = this.next() * table.total;
    for (let i = 0; i < table.keys.length; i++) {
      x -= table.weights[i]!;
      if (x < 0) return table.keys[i]!;
    }
    return table.keys[table.keys.length - 1]!;
  }

  /** Exponentially distributed value with the given mean (waiting times between activities). */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Poisson-distributed count (Knuth; means here are small). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** `chars` lowercase hex digits. */
  hex(chars: number): string {
    const codes = new Array<number>(chars);
    let bits = 0;
    for (let i = 0; i < chars; i++) {
      if (i % 8 === 0) bits = Math.floor(this.next() * 0x100000000);
      const nibble = bits & 15;
      bits >>>= 4;
      codes[i] = HEX_CODES[nibble]!;
    }
    return String.fromCharCode(...codes);
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** An independent stream derived from this one, so adding draws in one area does not shift another. */
  fork(label: string): Rng {
    let h = Math.floor(this.next() * 0x7fffffff);
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619) >>> 0;
    return new Rng(h);
  }
}
