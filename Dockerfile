# syntax=docker/dockerfile:1
# Socket gateway image: compiled in one stage, production dependencies in another, and a slim
# runtime that runs as uid 1000 with nothing writable but /tmp (see helm/socket-gateway).

# The exact Node of .nvmrc (the version every test runs on); bump both together.
ARG NODE_IMAGE=node:26.12.1-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The client packages are npm workspaces: npm ci links them only when their manifests are there.
COPY app/client/package.json ./app/client/
COPY app/react/package.json ./app/react/
# No install scripts: tsc needs none, and some dev tools' scripts fetch binaries from the network.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY app/src ./app/src
COPY app/client ./app/client
COPY app/react ./app/react
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM to node and reaps zombies; node then runs its drain sequence.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOME=/tmp \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# Owned by root and only readable by the app user: the code cannot be changed at run time,
# which is also what a read-only root filesystem requires.
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
ARG BUILD_COMMIT=unknown
ENV BUILD_COMMIT=${BUILD_COMMIT}
# The node images' `node` user; numeric so runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000 3001 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# Exec form: no shell in between, so the signal reaches node itself.
CMD ["node", "dist/app/src/main.js"]
