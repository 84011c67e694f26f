import path from 'path';
import { build } from 'esbuild';

/** Bundles the harness page (the plugin's editors + real @grafana/ui, React 18) for the browser. */
export async function bundleHarness(outdir: string): Promise<string> {
  const outfile = path.join(outdir, 'harness.js');
  await build({
    entryPoints: [path.join(__dirname, '..', 'harness', 'main.tsx')],
    bundle: true,
    outfile,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    jsx: 'transform',
    minify: false,
    sourcemap: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
    loader: { '.svg': 'text', '.woff': 'empty', '.woff2': 'empty', '.ttf': 'empty', '.png': 'dataurl' },
  });
  return outfile;
}
