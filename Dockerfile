# errorhub in one image: web (3000), ingest (3001) and worker, started by `npm start` as on a
# bare machine. With DATABASE_URL/REDIS_URL it uses your servers (compose.yaml starts both);
# without DATABASE_URL it runs the embedded PostgreSQL under DATA_DIR (/data). Redis is always
# external. Not built in this repository's CI (it has no image registry): kept small on purpose.

# 1. Dependencies, from the lock file only (npm ci also generates the Prisma client).
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
RUN npm ci

# 2. The production build (.next and dist/workers). Telemetry off for the build too.
FROM deps AS build
ENV NEXT_TELEMETRY_DISABLED=1 NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED=1
COPY . .
RUN npm run build

# 3. Runtime: the built tree, run by the unprivileged `node` user of the base image.
FROM node:22-bookworm-slim
# postgresql-client: pg_dump/pg_restore for `npm run admin -- backup/restore` (Debian 12's is
# PostgreSQL 15: it can back up servers up to 15, as compose.yaml's).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production DATA_DIR=/data NEXT_TELEMETRY_DISABLED=1 CLERK_TELEMETRY_DISABLED=1
WORKDIR /app
# Development dependencies stay: npm start runs its launcher and the admin CLI through tsx
# from source, and Next.js reads next.config.ts at start.
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000 3001
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s \
  CMD node -e "fetch('http://127.0.0.1:3000/_health/').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["npm", "start"]
