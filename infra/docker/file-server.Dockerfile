# syntax=docker/dockerfile:1
# @session/file-server — multi-stage: install and deploy the one workspace package with pnpm, then run it
# as an unprivileged user. Build from the repo root: docker build -f infra/docker/file-server.Dockerfile .
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
RUN npm i -g pnpm@10
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile
# A self-contained copy of the package and its production dependencies (workspace deps included).
RUN pnpm --filter @session/file-server deploy --prod --legacy /out

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# Workspace packages ship as TypeScript source; tsx runs them.
RUN npm i -g tsx@4
WORKDIR /app
COPY --from=build /out /app
RUN useradd --system --uid 10001 --home /data session && mkdir -p /data && chown session /data
USER session
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["tsx", "src/main.ts"]
