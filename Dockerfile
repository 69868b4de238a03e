# HotSwap: one image for every project process. The command picks the role:
#   api           node dist/api/main.js            (default, port 8080)
#   worker        node dist/worker/main.js         (Temporal worker, metrics on 9464)
#   model server  node dist/model-server/main.js   (port 8081)
#
#   docker build -t hotswap:local .
#
# Works with BuildKit and with the classic builder (no RUN --mount), so both
# `docker compose build` and Debian's docker-compose 1.29 can build it.
# Override NODE_IMAGE to pin the base by digest, e.g.
#   --build-arg NODE_IMAGE=node:20-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:20-bookworm-slim

############################
# build: install all deps, compile TypeScript, drop dev deps
############################
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false \
    SCARF_ANALYTICS=false

# Dependency layer first so source edits do not reinstall packages.
# .npmrc carries onnxruntime-node-install=skip: onnxruntime-node ships its linux
# binaries (x64 and arm64) inside the package, so nothing is downloaded at install.
COPY package.json package-lock.json .npmrc ./
RUN npm ci

COPY . .
RUN npm run build \
 && npm prune --omit=dev \
 && npm cache clean --force \
 && test -f dist/api/main.js \
 && test -f dist/worker/main.js \
 && test -f dist/model-server/main.js \
 && test -f dist/console/index.html

############################
# runtime: production deps + compiled output, non-root
############################
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="hotswap" \
      org.opencontainers.image.description="HotSwap model-serving platform: api, Temporal worker and ONNX Runtime model server"

ENV NODE_ENV=production \
    npm_config_update_notifier=false
WORKDIR /app

# Code is owned by root and read-only for the service user; only data/ is writable
# (artifact dir for ARTIFACT_STORE=fs, model cache of the model servers).
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/docker/healthcheck.cjs /usr/local/lib/hotswap/healthcheck.cjs
RUN mkdir -p /app/data/artifacts /app/data/model-cache \
 && chown -R node:node /app/data

# The `node` user (uid/gid 1000) comes with the official Node image.
USER node

EXPOSE 8080 8081 9464

# Default probe targets the api; docker-compose.yml sets a per-service probe for the
# worker and the model servers (same script, different URL).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/usr/local/lib/hotswap/healthcheck.cjs", "http://127.0.0.1:8080/health"]

CMD ["node", "dist/api/main.js"]
