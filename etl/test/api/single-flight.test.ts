import { SingleFlight } from '../../src/api/single-flight';

describe('SingleFlight', () => {
  it('shares one computation among concurrent identical keys and forgets it once settled', async () => {
    const f = new SingleFlight();
    let calls = 0;
    let release!: (v: number) => void;
    const compute = () => {
      calls++;
      return new Promise<number>((r) => (release = r));
    };
    const a = f.run('k', compute);
    const b = f.run('k', compute);
    const c = f.run('other', () => Promise.resolve(7));
    expect(calls).toBe(1);
    release(42);
    expect(await Promise.all([a, b, c])).toEqual([42, 42, 7]);
    expect(f.size).toBe(0);
    await f.run('k', async () => {
      calls++;
      return 1;
    });
    expect(calls).toBe(2);
  });

  it('shares failures too, and a later call retries', async () => {
    const f = new SingleFlight();
    const boom = f.run('k', () => Promise.reject(new Error('db down')));
    const same = f.run('k', () => Promise.resolve('never'));
    await expect(boom).rejects.toThrow('db down');
    await expect(same).rejects.toThrow('db down');
    await expect(f.run('k', () => Promise.resolve('ok'))).resolves.toBe('ok');
  });
});
