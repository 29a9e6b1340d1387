# syntax=docker/dockerfile:1
# Multi-stage build of the tango-sync worker (and the local Tango simulator, dist/simulator/main.js, which the
# compose demo profile runs from the same image). Runtime: a maintained Node LTS, production dependencies only,
# non-root, with a health check against /health/live.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json swc-build.json .swcrc ./
COPY src ./src
COPY simulator ./simulator
COPY migrations ./migrations
RUN npx nest build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Data the CLI reads at runtime, relative to the package root: `simulate --event-type` sample deliveries.
COPY simulator/fixtures/sample-alert-events.json ./simulator/fixtures/sample-alert-events.json
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node receives SIGTERM directly (exec form), so the graceful shutdown runs. The image is the `tango-sync`
# executable: `serve` by default, any other command by argument (`docker run IMAGE migrate up`).
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
