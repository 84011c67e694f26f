import type { Cluster } from './cluster';

export default async function globalTeardown(): Promise<void> {
  const cluster = (globalThis as { __amokpiCluster?: Cluster }).__amokpiCluster;
  await cluster?.stop();
}
