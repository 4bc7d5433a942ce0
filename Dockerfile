# syntax=docker/dockerfile:1
# lotus-chatops: build with `docker build -t lotus-chatops .`, run with the config mounted:
#   docker run -d --name lotus-chatops -v /etc/lotus-chatops:/config:ro -v lotus-chatops-data:/data \
#     -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN -e SEAL_MINER_API_INFO ... lotus-chatops
# Secrets come in as environment variables only; the config refers to them as ${NAME}.

FROM node:20-bookworm-slim AS build
# better-sqlite3 and ssh2 compile their native parts here (no prebuilt binaries are downloaded).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY commands ./commands
COPY bench ./bench
COPY config ./config
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
COPY package.json ./
RUN mkdir -p /data /config && chown node:node /data
USER node
VOLUME ["/data"]
# The store path in the mounted config should be under /data (e.g. /data/lotus-chatops.db). With PostgreSQL
# (store.url) /data holds only the heartbeat: give each instance its own (README: Two instances on PostgreSQL).
# `run` writes a heartbeat beside the store every 30 s; the check fails when it is stale (a stuck process) or a chat
# platform has been down for over 10 minutes.
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s \
  CMD ["node", "dist/src/main.js", "healthcheck", "--config", "/config/lotus-chatops.yaml"]
ENTRYPOINT ["node", "--enable-source-maps", "dist/src/main.js"]
CMD ["run", "--config", "/config/lotus-chatops.yaml"]
