# Warren in a container: built in one stage, run in a slim one as a non-root user.
#   docker build -t warren .
#   docker run -p 5672:5672 -p 15672:15672 -v warren-data:/var/lib/warren warren
# docker-compose.yml publishes every listener; README.md ("Docker") shows both.

# Node 24: the active LTS (a runtime dependency, cookie via fastify, needs Node 22 or later)
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's `prepare` builds dist/, and the sources are not here yet (this
# layer is cached until the lock file changes); the build runs below, once they are
RUN npm ci --ignore-scripts
COPY tsconfig.json tsup.config.ts ./
COPY src ./src
COPY protocols ./protocols
# the bundle (dist/) and the management UI (dist/ui); then only runtime dependencies stay
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production \
    WARREN_DATA_DIR=/var/lib/warren
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# the image's "node" user (uid 1000) owns the data dir; the broker never runs as root
RUN mkdir -p /var/lib/warren /etc/warren && chown node:node /var/lib/warren
USER node
VOLUME /var/lib/warren
# AMQP 0-9-1 and 1.0 5672, AMQPS 5671, MQTT 1883, MQTTS 8883, STOMP 61613, STOMPS 61614, OpenWire 61616,
# Web MQTT 15675, Web STOMP 15674, management HTTP 15672 (HTTPS 15671), Prometheus 15692.
# The TLS listeners start only when configured (ssl_options.* and listeners.ssl.* in a config file).
EXPOSE 5672 5671 1883 8883 61613 61614 61616 61617 15675 15674 15672 15671 15692
# SIGTERM (docker stop) shuts down gracefully: clients are told, the store is flushed, exit 0
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/cli/main.js"]
# extra flags go here, e.g. ["--config", "/etc/warren/rabbitmq.conf"]
CMD []
