// Takes the screenshots of the management UI in docs/ui/ with headless Chromium (Debian's
// /usr/bin/chromium, or WARREN_CHROMIUM), against a broker started here with some traffic on it:
//   npm run build && node scripts/ui-screenshots.mjs [outDir]
// Run it again after changing a page; the README's management section shows the pictures.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import amqp from "amqplib";
import { chromium } from "playwright-core";
import { startBroker } from "../dist/index.js";

const out = process.argv[2] ?? "docs/ui";
const CHROMIUM = process.env.WARREN_CHROMIUM ?? "/usr/bin/chromium";
mkdirSync(out, { recursive: true });

const broker = await startBroker({
  logLevel: "silent",
  amqp: { port: 0 },
  mqtt: false,
  stomp: false,
  prometheus: false,
  management: { port: 0, sampleInterval: 1000 },
});
const base = `http://127.0.0.1:${broker.ports.management}`;
const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`, {
  clientProperties: { connection_name: "billing-service" },
});
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
let traffic;
try {
  // a small, plausible system: orders in, invoices out, a dead-letter queue, one policy
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange("orders", "topic");
  await ch.assertExchange("dlx", "fanout");
  await ch.assertQueue("orders.new", { arguments: { "x-dead-letter-exchange": "dlx", "x-message-ttl": 600000 } });
  await ch.assertQueue("orders.audit");
  await ch.assertQueue("invoices", { arguments: { "x-queue-type": "quorum" } });
  await ch.assertQueue("dead-letters");
  await ch.bindQueue("orders.new", "orders", "order.created");
  await ch.bindQueue("orders.audit", "orders", "order.#");
  await ch.bindQueue("dead-letters", "dlx", "");
  const consumer = await conn.createChannel();
  await consumer.prefetch(20);
  await consumer.consume("invoices", (m) => consumer.ack(m), { consumerTag: "invoicer-1" });
  await fetch(`${base}/api/policies/%2F/orders-limit`, {
    method: "PUT",
    headers: { authorization: `Basic ${btoa("guest:guest")}`, "content-type": "application/json" },
    body: JSON.stringify({ pattern: "^orders\\.", "apply-to": "queues", definition: { "max-length": 50000 } }),
  });
  let n = 0;
  traffic = setInterval(() => {
    for (let i = 0; i < 30; i++) {
      ch.publish("orders", i % 3 === 0 ? "order.created" : "order.updated", Buffer.from(JSON.stringify({ id: n++, total: 42.5 })), {
        contentType: "application/json",
      });
      ch.sendToQueue("invoices", Buffer.from(`invoice ${n}`));
    }
  }, 100);

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(() => sessionStorage.setItem("warren-auth", btoa("guest:guest")));
  const shoot = async (hash, file, ready) => {
    await page.goto(`${base}/?refresh=1000${hash}`);
    await page.locator(ready).first().waitFor();
    // let the rate charts gather a few samples (a picture, not a test: a fixed pause is fine here)
    await page.waitForTimeout(hash.startsWith("#/queues/") || hash === "#/" ? 8000 : 1500);
    await page.screenshot({ path: join(out, file), fullPage: true });
    console.log(`ui-screenshots: ${join(out, file)}`);
  };
  await shoot("#/", "overview.png", "#nodes-table tr[data-key]");
  await shoot("#/queues", "queues.png", '#queues-table tr[data-key="/|orders.new"]');
  await shoot("#/queues/%2F/orders.new", "queue.png", "#bindings-table tr[data-key]");
  await shoot("#/exchanges/%2F/orders", "exchange.png", "#source-bindings tr[data-key]");
  const read = async (path) => (await fetch(`${base}/api/${path}`, { headers: { authorization: `Basic ${btoa("guest:guest")}` } })).json();
  const connection = (await read("connections"))[0].name;
  await shoot(`#/connections/${encodeURIComponent(connection)}`, "connection.png", "#connection-channels tr[data-key]");
  await shoot(`#/nodes/${encodeURIComponent((await read("overview")).node)}`, "node.png", "#node-memory .membar");
  await shoot("#/policies", "policies.png", "#policies-table tr[data-key]");
} finally {
  clearInterval(traffic);
  await browser.close();
  await conn.close().catch(() => undefined);
  await broker.close();
}
