# Airbyte source image for tap-pulumi-cloud.
#   docker build -t airbyte/source-pulumi-cloud:0.1.0 .
# BASE_IMAGE must be a Debian (bookworm) slim image with Node.js 20 and npm.
ARG BASE_IMAGE=node:20-bookworm-slim

# ---- build: all dependencies, compile TypeScript to dist/
FROM ${BASE_IMAGE} AS build
WORKDIR /build
# Dependencies before sources, so a source change reuses this layer. --ignore-scripts: `prepare`
# (the build) cannot run before the sources are here; it runs below.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json spec.json catalog.json ./
COPY schemas ./schemas
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and the built program only
FROM ${BASE_IMAGE}
ENV NODE_ENV=production
# Airbyte runs connectors as uid 1000. Node images already have `node` with uid/gid 1000: remove
# whatever holds 1000 and create `airbyte` in its place (useradd/groupadd fail if 1000 is still taken).
RUN set -eu; \
    old=$(getent passwd 1000 | cut -d: -f1); [ -z "$old" ] || userdel --remove "$old" 2>/dev/null || true; \
    old=$(getent group 1000 | cut -d: -f1); [ -z "$old" ] || groupdel "$old"; \
    groupadd --gid 1000 airbyte; \
    useradd --uid 1000 --gid 1000 --create-home --shell /bin/sh airbyte; \
    mkdir -p /airbyte; chown airbyte:airbyte /airbyte
WORKDIR /opt/tap-pulumi-cloud
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /build/dist ./dist
COPY --from=build /build/schemas ./schemas
COPY --from=build /build/spec.json /build/catalog.json ./

# Keep the two in step: older Airbyte platforms run "$AIRBYTE_ENTRYPOINT <verb>".
ENV AIRBYTE_ENTRYPOINT="node /opt/tap-pulumi-cloud/dist/src/cli.js"
ENTRYPOINT ["node", "/opt/tap-pulumi-cloud/dist/src/cli.js"]
# Must match metadata.yaml (dockerRepository, dockerImageTag) and package.json's version.
LABEL io.airbyte.name="airbyte/source-pulumi-cloud" \
      io.airbyte.version="0.1.0"

# Numeric, so Kubernetes' runAsNonRoot can verify it; uid 1000 is `airbyte`. The app stays root-owned.
USER 1000:1000
WORKDIR /airbyte
