# syntax=docker/dockerfile:1
# nara as a container image (deployment spec §4 "Docker"): Alpine holding one static binary.
#
#   web     Node: the dashboard (esbuild), `npm ci` from nara-web/package-lock.json
#   freeze  Debian 12's own Python (staticx refuses a libpython with an RPATH): the venv from the
#           hash-pinned lock, the docs, then scripts/build-binary.sh, exactly as `make build`
#           (PyInstaller one-file + staticx + smoke test)
#   release Alpine + a prebuilt bin/nara from the build context (dist/nara-linux-$TARGETARCH);
#           the release workflow uses it so the image holds the very binaries it publishes
#   image   (default) Alpine + the binary from `freeze`
#
# The binary needs no libc of Alpine's. It unpacks itself into $TMPDIR (/tmp) at start, so /tmp
# must be writable and allow exec: with `docker run --read-only` add
# `--tmpfs /tmp:rw,exec,size=160m` (Docker's --tmpfs default is noexec).
# State: `-v nara-state:/var/lib/nara` keeps the restart count across containers (a named
# volume; a bind-mounted host directory must be writable by uid 10001).
# Reproducible: pass --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) and
# --build-arg NARA_COMMIT=$(git rev-parse HEAD) (`make docker` should).

ARG SOURCE_DATE_EPOCH
ARG NARA_COMMIT=unknown
ARG NARA_VERSION=dev

FROM node:20-bookworm-slim AS web
WORKDIR /src/nara-web
COPY nara-web/package.json nara-web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY nara-web/ ./
RUN npm run build

FROM debian:12-slim AS freeze
# binutils: strip and objcopy for PyInstaller and staticx. musl-tools, gcc, libc6-dev: staticx is
# built from its pinned source with nara's TMPDIR check in the bootloader
# (scripts/build-bootloader.sh). No git here: the build facts come from the build args.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python3-dev binutils \
         gcc libc6-dev musl-tools \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements/dev.lock requirements/dev.lock
RUN /usr/bin/python3 -m venv .venv \
    && .venv/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes \
       -r requirements/dev.lock
COPY . .
COPY --from=web /src/nara-web/public/ nara-web/public/
ARG SOURCE_DATE_EPOCH
ARG NARA_COMMIT
ENV NARA_SPA_PREBUILT=1 NARA_COMMIT=${NARA_COMMIT}
RUN scripts/build-binary.sh

FROM alpine:3.20 AS base
ARG NARA_VERSION
ARG NARA_COMMIT
LABEL org.opencontainers.image.title="nara" \
      org.opencontainers.image.description="A node of the nara social network for computers: one static binary serving its dashboard, API and docs on one port." \
      org.opencontainers.image.licenses="ISC" \
      org.opencontainers.image.version="${NARA_VERSION}" \
      org.opencontainers.image.revision="${NARA_COMMIT}"
# A fixed non-root user; /tmp stays world-writable (sticky) for the launcher's unpacking.
# /var/lib/nara is the state directory (first start time, restart count; never the soul),
# owned by that user: a named volume mounted there starts with this owner and mode.
RUN addgroup -S -g 10001 nara \
    && adduser -S -D -H -u 10001 -G nara -h /nonexistent -s /sbin/nologin nara \
    && chmod 1777 /tmp \
    && mkdir -p /var/lib/nara \
    && chown 10001:10001 /var/lib/nara \
    && chmod 0700 /var/lib/nara
ENV HTTP_ADDR=:8080 \
    TMPDIR=/tmp \
    NARA_STATE_DIR=/var/lib/nara
# Without a volume the state lasts as long as the container; nara runs on if it is unwritable.
VOLUME ["/var/lib/nara"]
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
# Probes /livez on the port of HTTP_ADDR; never tied to the broker. busybox wget rather than
# `nara healthcheck`, which would unpack the whole one-file binary (~55 MB) every 30 s.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["/bin/sh", "-c", "wget -q -O /dev/null \"http://127.0.0.1:${HTTP_ADDR##*:}/livez\" || exit 1"]
ENTRYPOINT ["/usr/local/bin/nara"]

FROM base AS release
ARG TARGETARCH
COPY --chmod=0755 dist/nara-linux-${TARGETARCH} /usr/local/bin/nara

FROM base AS image
COPY --from=freeze --chmod=0755 /src/bin/nara /usr/local/bin/nara
