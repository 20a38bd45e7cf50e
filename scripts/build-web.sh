#!/usr/bin/env bash
# Build the web assets into nara-web/public (deployment spec §6): the dashboard (esbuild, via
# `npm run build`), then the docs (mkdocs, into nara-web/public/docs), then stamp the result with
# the source hash (scripts/asset_hash.py) in nara-web/public/asset-hash.txt.
# Skips everything when the stamp matches the current sources and both builds are present.
# FORCE=1 rebuilds anyway (scripts/repro-check.sh uses it). NARA_SPA_PREBUILT=1 keeps the
# dashboard already in nara-web/public (built by the Dockerfile's Node stage) and builds the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
public=nara-web/public
stamp=$public/asset-hash.txt
# One web build at a time per checkout: two would clean each other's output.
mkdir -p build
exec 8>build/.build-web.lock
flock 8

# Reproducible output: mkdocs dates its sitemap with SOURCE_DATE_EPOCH when set.
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && git rev-parse --git-dir >/dev/null 2>&1; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || true)
fi
[ -n "${SOURCE_DATE_EPOCH:-}" ] && export SOURCE_DATE_EPOCH

want=$("$PY" scripts/asset_hash.py)
if [ "${FORCE:-0}" != 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
  && [ -f "$public/index.html" ] && [ -f "$public/docs/index.html" ]; then
  echo "build-web: assets up to date (source hash ${want:0:12}), skipping"
  exit 0
fi

# A half-finished build must never carry a valid stamp.
rm -f "$stamp"

if [ "${NARA_SPA_PREBUILT:-0}" = 1 ]; then
  echo "build-web: [1/3] dashboard: prebuilt (NARA_SPA_PREBUILT=1), keeping $public/index.html"
  [ -f "$public/index.html" ] || { echo "build-web: $public/index.html is missing" >&2; exit 1; }
else
  echo "build-web: [1/3] dashboard: npm --prefix nara-web run build"
  npm --prefix nara-web run --silent build
fi

export NO_MKDOCS_2_WARNING=1  # a banner, not a build problem
echo "build-web: [2/3] docs: mkdocs build --strict -> $public/docs"
# Not --quiet: mkdocs 1.6 drops the warnings --quiet hides before its strict counter sees them,
# so `--strict --quiet` builds a site with broken links and exits 0. We run it loud and drop its
# INFO lines (and their indented continuations) ourselves: what remains is every warning and
# error, and mkdocs' own "Aborted with N warnings in strict mode!".
mkdocs_log=build/mkdocs.log
mkdocs_ok=1
.venv/bin/mkdocs build --strict >"$mkdocs_log" 2>&1 || mkdocs_ok=0
awk '/^INFO /{skip=1; next} /^[^ \t]/{skip=0} !skip' "$mkdocs_log" >&2
if [ "$mkdocs_ok" = 0 ]; then
  echo "build-web: mkdocs build --strict failed (its messages above); the docs are not shipped" >&2
  exit 1
fi

for built in "$public/index.html" "$public/docs/index.html"; do
  if [ ! -f "$built" ]; then
    echo "build-web: $built is missing after the build" >&2
    exit 1
  fi
done

# mkdocs-material copies lunr's stemmers and segmenters for ~30 languages (~0.9 MB, wordcut.js
# alone 0.68 MB); the search worker loads them only for a `lang` other than English, which this
# site never sets (mkdocs.yml: theme language en). Gone, they are neither served nor unpacked at
# every start of bin/nara.
rm -rf "$public/docs/assets/javascripts/lunr"

# The stamp names the sources this build started from. Sources edited meanwhile hash
# differently, so the next build-web (or build-binary's check) sees the stamp as stale.
echo "build-web: [3/3] stamp: $stamp = ${want:0:12}"
printf '%s\n' "$want" >"$stamp"
now=$("$PY" scripts/asset_hash.py)
if [ "$now" != "$want" ]; then
  echo "build-web: warning: sources changed during the build; run it again" >&2
fi
