# One image for both apps (the service and the provider simulator); pick one with the command.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY migrations migrations
COPY scripts scripts
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# A heap limit far above the service's live heap, but below Node's default here (about 4 GB): with
# that much room V8 lets the old generation grow to several times the live heap before it
# collects, and RSS follows; with this limit RSS stays flat, and a smaller one costs CPU in full
# collections (docs/performance.md, "RSS and the heap limit"). Override it with NODE_OPTIONS.
ENV NODE_OPTIONS="--max-old-space-size=1024"
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
USER node
CMD ["node", "--enable-source-maps", "dist/apps/resend-service/src/main.js"]
