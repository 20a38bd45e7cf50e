// Precompress the built web assets: build.mjs calls precompress(public/assets) at the end of
// `npm run build` (so the Dockerfile's and flake's Node builds get it too); `node precompress.mjs
// DIR...` does the same for any directory.
// writes FILE.br (brotli, best quality) and FILE.gz (gzip, level 9) beside every compressible
// file above 1 KiB under each DIR, so the node serves them without compressing anything
// (nara/http/assets.py picks br > gzip > identity by Accept-Encoding).
//
// Left alone: source maps (never shipped in bin/nara), files already compressed, and any
// index.html directly in public/ (the server rewrites its __NARA_BASE__ token, so its bytes are
// not the file's). The output depends only on the input bytes: Node's zlib, no mtime in the gzip
// header (gzipSync writes 0), fixed parameters; two runs give identical files.
//
// Only the dashboard's public/assets is precompressed by the build: each file in
// bin/nara is unpacked at every start, and the docs site (~60 files) would add ~55 variant files
// to that for pages read rarely; the server gzips those once, on first use, and caches them.

import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.svg', '.json', '.html', '.xml', '.txt']);
const MIN_BYTES = 1024;
const VARIANTS = ['.br', '.gz'];

async function* walk(dir) {
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

function wanted(file) {
  if (VARIANTS.includes(path.extname(file))) return false;
  if (!COMPRESSIBLE.has(path.extname(file))) return false;
  // public/index.html is a template filled in at serve time.
  if (path.basename(file) === 'index.html' && path.basename(path.dirname(file)) === 'public') {
    return false;
  }
  return true;
}

function brotli(body) {
  return brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
}

export async function precompress(dir, log = console.log) {
  let files = 0;
  let before = 0;
  let br = 0;
  let gz = 0;
  for await (const file of walk(dir)) {
    if (VARIANTS.includes(path.extname(file))) {
      // A variant whose original is gone (or is no longer compressed) must not outlive it.
      const original = file.slice(0, -path.extname(file).length);
      const kept = await stat(original).then(
        (s) => s.isFile() && s.size > MIN_BYTES && wanted(original),
        () => false,
      );
      if (!kept) await rm(file);
      continue;
    }
    if (!wanted(file)) continue;
    const body = await readFile(file);
    if (body.length <= MIN_BYTES) continue;
    const b = brotli(body);
    const g = gzipSync(body, { level: 9 });
    await writeFile(`${file}.br`, b);
    await writeFile(`${file}.gz`, g);
    files += 1;
    before += body.length;
    br += b.length;
    gz += g.length;
  }
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  log(
    `precompressed ${files} file(s) under ${dir}: ${kb(before)} -> ` +
      `${kb(br)} .br, ${kb(gz)} .gz`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    console.error('usage: node precompress.mjs DIR...');
    process.exit(2);
  }
  try {
    for (const dir of dirs) await precompress(dir, (msg) => console.log(`nara-web: ${msg}`));
  } catch (err) {
    console.error(`nara-web: precompress failed: ${err.message || err}`);
    process.exit(1);
  }
}
