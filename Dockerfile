# syntax=docker/dockerfile:1
# Chronicle in two stages (docs/deploy.md#docker). There was no Docker engine where this file was
# written: its steps were run by hand in a clean directory, as docs/deploy.md says.
#
#   docker build -t chronicle .
#   docker run -d --name chronicle -e DISCORD_TOKEN=… -v chronicle-data:/data chronicle

# --- build: the full install (TypeScript, and the tools sqlite3 needs when no prebuilt binary
# fits), the build, then the dev dependencies and the workspace package pruned away.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The lock file names the workspace package (the local Discord): its package.json must be present
# for npm ci to match the lock; its source is not copied, and nothing in the build imports it.
COPY package.json package-lock.json ./
COPY packages/discord-emulator/package.json packages/discord-emulator/package.json
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY src src
COPY scripts scripts
RUN npm run build \
 && npm prune --omit=dev --workspaces=false --no-audit --no-fund

# --- runtime: no compiler, no source, no emulator; runs as the image's unprivileged node user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    DATA_DIR=/data \
    DATABASE_URL=sqlite:/data/chronicle.sqlite \
    SHUTDOWN_TIMEOUT_MS=8000
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
RUN mkdir -p /data && chown node:node /data
USER node
# The SQLite file (when DATABASE_URL is not PostgreSQL), the recorder's spill file, backups.
VOLUME ["/data"]
# node itself is PID 1 (not npm, which does not pass SIGTERM on): it stops within
# SHUTDOWN_TIMEOUT_MS (8 s), inside the 10 s docker stop waits before SIGKILL. Raising one means
# raising the other: docker stop -t / docker run --stop-timeout / compose stop_grace_period.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
