# Warren: build once, run with only Node in the image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsup.config.ts ./
COPY src ./src
COPY protocols ./protocols
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
VOLUME /var/lib/warren
# AMQP, MQTT, MQTT over WebSocket, STOMP, STOMP over WebSocket
EXPOSE 5672 1883 15675 61613 15674
# guest may only log in from loopback, as in RabbitMQ: set WARREN_DEFAULT_USER/PASS for remote clients
ENTRYPOINT ["node", "dist/cli/main.js", "--data-dir", "/var/lib/warren"]
