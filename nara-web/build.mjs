// Build the dashboard into public/ with esbuild's JS API (`npm run build`):
//   public/index.html                 template with the __NARA_BASE__ token kept for the server
//   public/assets/app-[hash].js(.map) minified ES module bundle (Preact included)
//   public/assets/app-[hash].css(.map)
//   public/assets/favicon-[hash].svg
//   public/assets/*.br, *.gz           brotli and gzip copies (precompress.mjs), served as they are
// Everything else in public/ is removed first, except public/docs/ (the docs site is built there
// by another step). The output depends only on the sources: no timestamps, relative source-map
// paths, content hashes in names, so two builds of the same tree are byte-identical.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { precompress } from './precompress.mjs';

const root = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(root, 'public');
const assets = path.join(out, 'assets');
const KEEP = new Set(['docs']);

const rel = (p) => path.relative(root, p) || '.';
const step = (msg) => console.log(`nara-web: ${msg}`);

async function clean() {
  await mkdir(out, { recursive: true });
  const entries = await readdir(out);
  const removed = [];
  for (const name of entries.sort()) {
    if (KEEP.has(name)) continue;
    await rm(path.join(out, name), { recursive: true, force: true });
    removed.push(name);
  }
  await mkdir(assets, { recursive: true });
  step(`cleaned ${rel(out)}/ (removed ${removed.length}, kept ${[...KEEP].map((k) => k + '/').join(', ')})`);
}

async function bundle() {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { app: 'src/main.jsx' },
    outdir: assets,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    splitting: false,
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    sourcemap: 'linked',
    sourcesContent: true,
    charset: 'utf8',
    legalComments: 'eof',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const js = outputs.find(([file, o]) => o.entryPoint && file.endsWith('.js'));
  if (!js) throw new Error('esbuild produced no JS entry output');
  const cssFile = js[1].cssBundle;
  if (!cssFile) throw new Error('esbuild produced no CSS bundle (is styles.css imported?)');
  const jsName = path.basename(js[0]);
  const cssName = path.basename(cssFile);
  const size = (f) => result.metafile.outputs[f].bytes;
  step(
    `bundled ${rel(path.join(assets, jsName))} (${kb(size(js[0]))}) and ` +
      `${cssName} (${kb(size(cssFile))}) with esbuild ${esbuild.version}`,
  );
  return { jsName, cssName };
}

async function favicon() {
  const svg = await readFile(path.join(root, 'src/favicon.svg'));
  const name = `favicon-${contentHash(svg)}.svg`;
  await writeFile(path.join(assets, name), svg);
  step(`wrote ${rel(path.join(assets, name))}`);
  return name;
}

async function html({ jsName, cssName, faviconName }) {
  const template = await readFile(path.join(root, 'index.html'), 'utf8');
  const fills = { '{{JS}}': jsName, '{{CSS}}': cssName, '{{FAVICON}}': faviconName };
  let page = template;
  for (const [k, v] of Object.entries(fills)) {
    if (!page.includes(k)) throw new Error(`index.html template lacks ${k}`);
    page = page.split(k).join(v);
  }
  if (!page.includes('<meta name="nara-base" content="__NARA_BASE__">')) {
    throw new Error('index.html template lacks the nara-base meta tag');
  }
  await writeFile(path.join(out, 'index.html'), page);
  step(`wrote ${rel(path.join(out, 'index.html'))} -> ${jsName}, ${cssName}`);
}

function contentHash(buf) {
  return createHash('sha256').update(buf).digest('hex').slice(0, 10);
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} KiB`;
}

try {
  await clean();
  const bundled = await bundle();
  const faviconName = await favicon();
  await html({ ...bundled, faviconName });
  await precompress(assets, step);
  step('done');
} catch (err) {
  console.error(`nara-web: build failed: ${err.message || err}`);
  process.exit(1);
}
