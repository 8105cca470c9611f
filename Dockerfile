# syntax=docker/dockerfile:1
# The clouddigit-operator image: TypeScript compiled in a build stage, production dependencies in
# another, and only those two results on a distroless Node.js 24 base (no shell, no npm, non-root).
#
#   docker build -t clouddigit-operator:0.1.0 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
#
# Linted by scripts/lint-dockerfile (hadolint). The sandbox, tests, benchmarks and scripts are not
# copied in (see .dockerignore).
ARG NODE_BUILD_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${NODE_BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsconfig.build.json also names sandbox/, which is not in the build context, so only src/ compiles;
# tests and test doubles (*.test.ts, testing/, fake-*.ts) are neither in the context nor in the build.
RUN npx tsc -p tsconfig.build.json

FROM ${NODE_BUILD_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# Type declarations and source maps of dependencies are dead weight at run time (~40 MB).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete \
  && npm cache clean --force

FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="clouddigit-operator" \
      org.opencontainers.image.description="Kubernetes operator for Cloud Digit infrastructure as custom resources" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/clouddigit/clouddigit-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
WORKDIR /app
ENV NODE_ENV=production
# package.json carries "type": "module", which the compiled ES modules need.
COPY --from=deps /src/package.json ./package.json
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
# distroless "nonroot" is uid/gid 65532; the chart's securityContext uses the same numbers.
USER 65532:65532
EXPOSE 8080
# Node is PID 1 and handles SIGTERM itself (the manager drains reconciles, releases the Lease and
# exits); the operator starts no child processes, so there are no zombies to reap and no init is needed.
ENTRYPOINT ["/nodejs/bin/node", "--enable-source-maps", "dist/src/main.js"]
