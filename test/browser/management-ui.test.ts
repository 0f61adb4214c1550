// Drives the management web UI in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core) and checks what a person sees on each page. Chromium is a test dependency like
// RabbitMQ is for the conformance suite: conformance/rabbitmq.sh deps installs it, and without it
// this test fails rather than skips. It runs under `npm run test:browser` (vitest.browser.config.ts),
// which .ci/run runs; `npm test` leaves it out. Pages refresh every 300 ms here (?refresh=300).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amqp from "amqplib";
import { type Browser, chromium, type Dialog, type Page } from "playwright-core";
import { generate } from "selfsigned";
import type { RunningBroker } from "warren";
import { api, startWithManagement } from "../management/helpers.js";

const CHROMIUM = process.env.WARREN_CHROMIUM ?? "/usr/bin/chromium";

let broker: RunningBroker;
let browser: Browser;
let base: string;
let amqpUrl: string;
let pki: { dir: string; cert: string };

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (bash conformance/rabbitmq.sh deps) or set WARREN_CHROMIUM`);
  }
  // a self-signed certificate for the AMQPS listener, whose connections show their TLS details
  const self = await generate([{ name: "commonName", value: "localhost" }], { algorithm: "sha256", keySize: 2048 });
  const dir = mkdtempSync(join(tmpdir(), "warren-ui-tls-"));
  writeFileSync(join(dir, "cert.pem"), self.cert);
  writeFileSync(join(dir, "key.pem"), self.private);
  pki = { dir, cert: self.cert };
  // rates sampled every second, so a steady publisher shows on the charts between two refreshes
  broker = await startWithManagement({
    logLevel: "silent",
    mqtt: false,
    stomp: false,
    prometheus: false,
    management: { port: 0, sampleInterval: 1000 },
    tls: { certfile: join(dir, "cert.pem"), keyfile: join(dir, "key.pem") },
    amqpTls: { port: 0 },
  });
  base = `http://127.0.0.1:${broker.ports.management}`;
  amqpUrl = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await broker?.close();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

/**
 * A page logged in as guest on `hash`: the credentials go where the login form keeps them (the
 * tab's sessionStorage), so only the first test spends time on the form itself.
 */
async function open(hash: string, width = 1280, credentials = "guest:guest"): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.addInitScript((c) => sessionStorage.setItem("warren-auth", btoa(c)), credentials);
  await page.goto(`${base}/?refresh=300${hash}`);
  await page.locator("#tabs").waitFor();
  return page;
}

/** Collects the dialogs a page opens, answering each with `accept`. */
function dialogs(page: Page, accept: () => boolean): string[] {
  const seen: string[] = [];
  page.on("dialog", (d: Dialog) => {
    seen.push(d.message());
    void (accept() ? d.accept() : d.dismiss());
  });
  return seen;
}

const row = (page: Page, table: string, key: string) => page.locator(`${table} tr[data-key="${key}"]`);
const get = async (path: string) => (await api(broker, "GET", path)).json;

describe("management web UI: fixes", () => {
  it("hides the tabs while logged out and shows the login form", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${base}/`);
      await page.locator("#login-form").waitFor();
      expect(await page.locator("#tabs").isVisible()).toBe(false);
      expect(await page.locator("#who").isVisible()).toBe(false);
      await page.fill('#login-form input[name="password"]', "wrong");
      await page.click('#login-form button[type="submit"]');
      await expect.poll(() => page.textContent("#login-error")).toBe("Login failed");
      expect(await page.locator("#tabs").isVisible()).toBe(false);
      await page.fill('#login-form input[name="password"]', "guest");
      await page.click('#login-form button[type="submit"]');
      await page.locator("#tabs").waitFor();
      await page.click("#logout");
      await page.locator("#login-form").waitFor();
      expect(await page.locator("#tabs").isVisible()).toBe(false);
    } finally {
      await page.close();
    }
  });

  it("keeps a user without the monitoring or administrator tag logged in, saying what it may not see", async () => {
    await api(broker, "PUT", "/api/users/ui-manager", { password: "pw", tags: "management" });
    await api(broker, "PUT", "/api/permissions/%2F/ui-manager", { configure: ".*", write: ".*", read: ".*" });
    const page = await open("#/", 1280, "ui-manager:pw");
    try {
      await expect.poll(() => page.textContent("#nodes-table")).toBe("Not monitor user");
      await page.locator("#totals .total").first().waitFor();
      await page.click('nav a[data-tab="users"]');
      await expect.poll(() => page.textContent("#refreshed")).toBe("refresh failed: Not administrator user");
      expect(await page.locator("#tabs").isVisible()).toBe(true);
      expect(await page.locator("#login").isVisible()).toBe(false);
      // what it may see still shows
      await page.click('nav a[data-tab="queues"]');
      await page.locator("#queues-table tr").first().waitFor();
      expect(await page.textContent("#whoami")).toBe("ui-manager (management)");
    } finally {
      await page.close();
    }
  });

  it("prints a refused policy's reason as RabbitMQ wrote it, not HTML-escaped", async () => {
    const page = await open("#/policies");
    try {
      await page.fill('#policy-form input[name="name"]', "bad");
      await page.fill('#policy-form input[name="pattern"]', ".*");
      await page.fill('#policy-form textarea[name="definition"]', '{"max-length": "a"}');
      await page.click('#policy-form button[type="submit"]');
      await expect.poll(() => page.textContent("#policy-result")).toContain('<<"a">> is not a valid maximum length');
      expect(await page.textContent("#policy-result")).not.toContain("&lt;");
    } finally {
      await page.close();
    }
  });

  it("fits the queues table in an 800 px window", async () => {
    const conn = await amqp.connect(amqpUrl);
    const ch = await conn.createChannel();
    await ch.assertQueue("narrow.window.with.a.rather.long.queue.name.for.the.table", { arguments: { "x-max-length": 10 } });
    const page = await open("#/queues", 800);
    try {
      await row(page, "#queues-table", "/|narrow.window.with.a.rather.long.queue.name.for.the.table").waitFor();
      const fit = await page.evaluate(() => {
        const wrap = document.querySelector("#queues-table")!.parentElement!;
        return { page: document.documentElement.scrollWidth, window: innerWidth, table: wrap.scrollWidth, box: wrap.clientWidth };
      });
      expect(fit.page).toBeLessThanOrEqual(fit.window);
      expect(fit.table).toBeLessThanOrEqual(fit.box);
    } finally {
      await page.close();
      await conn.close();
    }
  });

  it("asks before purging a queue, and purges only when the answer is yes", async () => {
    const conn = await amqp.connect(amqpUrl);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("to-purge");
    for (let i = 0; i < 3; i++) ch.sendToQueue("to-purge", Buffer.from("x"));
    await ch.waitForConfirms();
    const page = await open("#/queues/%2F/to-purge");
    let answer = false;
    const asked = dialogs(page, () => answer);
    try {
      await page.locator("#purge").click();
      await expect.poll(() => asked.length).toBe(1);
      expect(asked[0]).toBe("Are you sure? Messages cannot be recovered after purging.");
      expect((await get("/api/queues/%2F/to-purge")).messages).toBe(3);
      answer = true;
      await page.locator("#purge").click();
      await expect.poll(() => page.textContent("#purge-result")).toBe("Queue purged.");
      expect((await get("/api/queues/%2F/to-purge")).messages).toBe(0);
      expect(asked).toHaveLength(2);
    } finally {
      await page.close();
      await conn.close();
    }
  });
});

describe("management web UI: pages", () => {
  it("overview: totals, a moving rate chart, the nodes and listeners; the cluster columns when the node has them", async () => {
    const conn = await amqp.connect(amqpUrl);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("overview-q");
    const page = await open("#/");
    const traffic = setInterval(() => {
      for (let i = 0; i < 20; i++) ch.sendToQueue("overview-q", Buffer.from("x"));
    }, 50);
    try {
      await expect.poll(() => page.locator("#totals .total").first().textContent(), { timeout: 10_000 }).toMatch(/[1-9]\s*Connections/);
      await expect.poll(() => page.textContent("#rates-legend"), { timeout: 15_000 }).not.toContain("Publish: 0.0/s");
      const node = (await get("/api/overview")).node as string;
      await expect.poll(() => page.textContent("#nodes-table")).toContain(node);
      expect(await page.textContent("#nodes-table thead")).not.toContain("Role");
      expect(await page.textContent("#listeners")).toContain("amqp");
    } finally {
      clearInterval(traffic);
      await page.close();
    }
    await ch.waitForConfirms();
    await conn.close();

    // cluster mode: /api/nodes carries each member's role, epoch, sync and lag (stubbed here)
    const stubbed = await open("#/");
    try {
      const real = (await get("/api/nodes"))[0];
      await stubbed.route("**/api/nodes", (r) =>
        r.fulfill({
          contentType: "application/json",
          body: JSON.stringify([
            {
              ...real,
              name: "warren@a",
              cluster_role: "leader",
              cluster_epoch: 7,
              cluster_in_sync: true,
              replication_lag_batches: 0,
              replication_lag_bytes: 0,
            },
            {
              ...real,
              name: "warren@b",
              cluster_role: "follower",
              cluster_epoch: 7,
              cluster_in_sync: false,
              replication_lag_batches: 3,
              replication_lag_bytes: 2048,
            },
          ]),
        }),
      );
      const follower = row(stubbed, "#nodes-table", "warren@b");
      await follower.waitFor({ timeout: 10_000 });
      // the same columns on the nodes page
      await stubbed.goto(`${base}/?refresh=300#/nodes`);
      await follower.waitFor({ timeout: 10_000 });
      expect(await stubbed.locator("#nodes-table thead th").allTextContents()).toEqual(
        expect.arrayContaining(["Role", "Epoch", "In sync", "Lag"]),
      );
      expect(await follower.textContent()).toMatch(/follower.*7.*no.*3 batches \/ 2\.0 KiB/);
      expect(await row(stubbed, "#nodes-table", "warren@a").textContent()).toMatch(/leader.*7.*yes/);
    } finally {
      await stubbed.close();
    }
  });

  it("queue page: details, policy, rates, consumers, bindings, publish, get, delete", async () => {
    const conn = await amqp.connect(amqpUrl, { clientProperties: { connection_name: "queue-page" } });
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("orders", { durable: true, arguments: { "x-max-priority": 5 } });
    await ch.assertExchange("orders.in", "direct");
    await ch.bindQueue("orders", "orders.in", "new");
    for (let i = 0; i < 4; i++) ch.sendToQueue("orders", Buffer.from(`order ${i}`), { persistent: true });
    await ch.waitForConfirms();
    const consumerCh = await conn.createChannel();
    await consumerCh.assertQueue("orders-watch");
    await consumerCh.prefetch(3);
    await consumerCh.consume("orders-watch", () => undefined, { consumerTag: "watcher" });
    await api(broker, "PUT", "/api/policies/%2F/orders-cap", {
      pattern: "^orders$",
      "apply-to": "queues",
      definition: { "max-length": 100 },
    });

    const page = await open("#/queues");
    const asked = dialogs(page, () => true);
    try {
      // the list: depth updates without a reload, and the name opens the queue's page
      const listed = row(page, "#queues-table", "/|orders");
      await expect.poll(() => listed.locator(".ready").textContent(), { timeout: 10_000 }).toBe("4");
      ch.sendToQueue("orders", Buffer.from("order 4"));
      await ch.waitForConfirms();
      await expect.poll(() => listed.locator(".ready").textContent(), { timeout: 10_000 }).toBe("5");
      await listed.locator("a.queue-name").click();
      await expect.poll(() => page.textContent("#queue-title")).toBe("orders");

      const details = page.locator("#queue-details");
      await expect.poll(() => details.textContent()).toContain("x-max-priority5");
      expect(await details.textContent()).toContain("Policyorders-cap");
      expect(await details.textContent()).toContain("Effective policy definitionmax-length100");
      expect(await details.textContent()).toMatch(/Ready5/);

      // bindings in: the default exchange's and orders.in's; add one from amq.direct, then remove it
      await expect.poll(() => page.textContent("#bindings-table")).toContain("orders.in");
      expect(await page.textContent("#bindings-table")).toContain("(AMQP default)");
      await page.fill('#bind-form input[name="source"]', "amq.direct");
      await page.fill('#bind-form input[name="routing_key"]', "rush");
      await page.click('#bind-form button[type="submit"]');
      await expect.poll(() => page.textContent("#bind-result")).toBe("Binding added.");
      const rush = row(page, "#bindings-table", "amq.direct|orders|rush");
      await rush.waitFor();
      expect((await get("/api/queues/%2F/orders/bindings")).map((b: { source: string }) => b.source)).toContain("amq.direct");
      await rush.locator("button[data-unbind]").click();
      await rush.waitFor({ state: "detached" });
      expect((await get("/api/queues/%2F/orders/bindings")).map((b: { source: string }) => b.source)).not.toContain("amq.direct");

      // publish to the queue (default exchange, routing key = the queue's name), with a header
      await page.fill('#publish-form textarea[name="payload"]', "from the UI");
      await page.fill("#publish-form .arg-key", "origin");
      await page.fill("#publish-form .arg-value", "browser");
      await page.click('#publish-form button[type="submit"]');
      await expect.poll(() => page.textContent("#publish-result")).toBe("Message published.");
      await expect.poll(() => details.textContent()).toMatch(/Ready6/);

      // get: requeue mode shows the payload and leaves the depth; base64 shows the bytes encoded
      await page.click('#get-form button[type="submit"]');
      await expect.poll(() => page.textContent("#get-result .payload")).toBe("order 0");
      await page.selectOption('#get-form select[name="encoding"]', "base64");
      await page.fill('#get-form input[name="count"]', "2");
      await page.click('#get-form button[type="submit"]');
      await expect
        .poll(() => page.locator("#get-result .payload").allTextContents())
        .toEqual([Buffer.from("order 0").toString("base64"), Buffer.from("order 1").toString("base64")]);
      expect(await page.textContent("#get-result")).toContain("Redeliveredtrue");
      // automatic ack takes them off the queue
      await page.selectOption('#get-form select[name="ackmode"]', "ack_requeue_false");
      await page.click('#get-form button[type="submit"]');
      await expect.poll(() => details.textContent(), { timeout: 10_000 }).toMatch(/Ready4/);

      // the rate chart draws a line per series
      expect(await page.locator("#queue-rates svg polyline").count()).toBe(4);

      // the consumer table of another queue: its channel links to the channel's page
      await page.goto(`${base}/?refresh=300#/queues/%2F/orders-watch`);
      const consumer = row(page, "#consumers-table", "watcher");
      await consumer.waitFor({ timeout: 10_000 });
      expect(await consumer.textContent()).toMatch(/watcher.*yes.*no.*3/);

      // delete asks first, then goes back to the list
      await page.goto(`${base}/?refresh=300#/queues/%2F/orders`);
      await page.locator("#delete-queue").click();
      await page.waitForURL(/#\/queues$/);
      expect(asked).toContain("Are you sure? The queue is going to be deleted. Messages cannot be recovered after deletion.");
      expect((await api(broker, "GET", "/api/queues/%2F/orders")).status).toBe(404);
    } finally {
      await api(broker, "DELETE", "/api/policies/%2F/orders-cap");
      await page.close();
      await conn.close();
    }
  });

  it("exchange page: bindings from and to it, add and remove, publish", async () => {
    const conn = await amqp.connect(amqpUrl);
    const ch = await conn.createChannel();
    await ch.assertExchange("ui.events", "topic");
    await ch.assertExchange("ui.upstream", "fanout");
    await ch.bindExchange("ui.events", "ui.upstream", "");
    await ch.assertQueue("ui.audit");
    const page = await open("#/exchanges");
    try {
      await row(page, "#exchanges-table", "/|ui.events").locator("a").click();
      await expect.poll(() => page.textContent("#exchange-title")).toBe("ui.events");
      await expect.poll(() => page.textContent("#exchange-details")).toContain("Typetopic");
      // to this exchange: ui.upstream's binding
      await expect.poll(() => page.textContent("#destination-bindings")).toContain("ui.upstream");
      expect(await page.textContent("#source-bindings")).toContain("No bindings");
      // add a binding from it to a queue
      await page.selectOption('#bind-form select[name="destination_type"]', "q");
      await page.fill('#bind-form input[name="destination"]', "ui.audit");
      await page.fill('#bind-form input[name="routing_key"]', "audit.#");
      await page.click('#bind-form button[type="submit"]');
      const bound = row(page, "#source-bindings", "ui.events|ui.audit|audit.#");
      await bound.waitFor({ timeout: 10_000 });
      expect(await bound.textContent()).toContain("queue");
      // publish through it: routed to the queue
      await page.fill('#publish-form input[name="routing_key"]', "audit.login");
      await page.fill('#publish-form textarea[name="payload"]', "hello");
      await page.click('#publish-form button[type="submit"]');
      await expect.poll(() => page.textContent("#publish-result")).toBe("Message published.");
      expect((await get("/api/queues/%2F/ui.audit")).messages).toBe(1);
      await page.fill('#publish-form input[name="routing_key"]', "nowhere");
      await page.click('#publish-form button[type="submit"]');
      await expect.poll(() => page.textContent("#publish-result")).toBe("Message published, but not routed.");
      // remove it again
      await bound.locator("button[data-unbind]").click();
      await bound.waitFor({ state: "detached" });
      expect(await get("/api/exchanges/%2F/ui.events/bindings/source")).toEqual([]);

      // the default exchange's page (amq.default in its URL, as RabbitMQ's) publishes by queue name
      await page.goto(`${base}/?refresh=300#/exchanges`);
      await row(page, "#exchanges-table", "/|").locator("a").click();
      await expect.poll(() => page.textContent("#exchange-title")).toBe("(AMQP default)");
      await expect.poll(() => page.textContent("#exchange-details")).toContain("Typedirect");
      await page.fill('#publish-form input[name="routing_key"]', "ui.audit");
      await page.click('#publish-form button[type="submit"]');
      await expect.poll(() => page.textContent("#publish-result")).toBe("Message published.");
      expect((await get("/api/queues/%2F/ui.audit")).messages).toBe(2);
    } finally {
      await page.close();
      await conn.close();
    }
  });

  it("connection and channel pages: client properties, TLS, channels, mode, prefetch, consumers, close with a reason", async () => {
    const conn = await amqp.connect(amqpUrl, { clientProperties: { connection_name: "ui-test", team: "billing" } });
    conn.on("error", () => undefined);
    const closed = new Promise<Error>((resolve) => conn.on("close", resolve));
    const confirmCh = await conn.createConfirmChannel();
    await confirmCh.prefetch(5);
    await confirmCh.assertQueue("ui.work");
    await confirmCh.consume("ui.work", () => undefined, { consumerTag: "worker-1" });
    const page = await open("#/connections");
    const asked = dialogs(page, () => true);
    try {
      const listed = page.locator("#connections-table tr", { hasText: "ui-test" });
      await listed.waitFor({ timeout: 10_000 });
      await listed.locator("a").first().click();
      await expect.poll(() => page.textContent("#client-properties")).toContain("teambilling");
      expect(await page.textContent("#client-properties")).toContain("connection_nameui-test");
      expect(await page.textContent("#client-properties")).toContain("Capabilities");
      expect(await page.textContent("#tls-details")).toBe("TLSno");
      expect(await page.textContent("#connection-details")).toContain("ProtocolAMQP 0-9-1");
      // its channel, and the channel's own page
      const channelLink = page.locator("#connection-channels a").first();
      await channelLink.waitFor();
      await channelLink.click();
      await expect.poll(() => page.textContent("#channel-details"), { timeout: 10_000 }).toContain("ModeConfirm");
      expect(await page.textContent("#channel-details")).toContain("Prefetch count5");
      expect(await page.textContent("#channel-consumers")).toMatch(/worker-1.*ui\.work.*yes/);
      // back to the connection; close it with a reason
      await page.locator("#channel-details a").first().click();
      await page.fill('#close-form input[name="reason"]', "moving to a new node");
      await page.click('#close-form button[type="submit"]');
      await expect.poll(() => page.textContent("#close-result")).toBe("Connection closed.");
      expect(asked[0]).toMatch(/^Close connection /);
      expect((await closed).message).toContain("CONNECTION_FORCED - moving to a new node");
    } finally {
      await page.close();
    }
  });

  it("connection page: a TLS connection's protocol, cipher and certificates", async () => {
    const conn = await amqp.connect(`amqps://guest:guest@localhost:${broker.ports.amqpTls}`, {
      ca: [pki.cert],
      clientProperties: { connection_name: "over-tls" },
    });
    const page = await open("#/connections");
    try {
      const listed = page.locator("#connections-table tr", { hasText: "over-tls" });
      await listed.waitFor({ timeout: 10_000 });
      expect(await listed.textContent()).toContain("●");
      await listed.locator("a").first().click();
      await expect.poll(() => page.textContent("#tls-details")).toMatch(/^TLSyesProtocoltlsv1\.[23]Key exchange.+Cipher.+Hash.+/);
      expect(await page.textContent("#tls-details")).toContain("Peer certificate subjectnone");
    } finally {
      await page.close();
      await conn.close();
    }
  });

  it("node page: memory breakdown, descriptors, alarms, listeners", async () => {
    const node = (await get("/api/overview")).node as string;
    const page = await open("#/");
    try {
      await row(page, "#nodes-table", node).locator("a").click();
      await expect.poll(() => page.textContent("#node-title")).toBe(node);
      await expect.poll(() => page.textContent("#node-memory")).toContain("JavaScript heap (used)");
      expect(await page.textContent("#node-memory")).toMatch(/Total \(resident set\)\d+(\.\d)? MiB/);
      expect(await page.locator("#node-memory .membar span").count()).toBe(4);
      expect(await page.textContent("#node-details")).toMatch(/File descriptors\d+ \/ \d+/);
      expect(await page.textContent("#node-alarms")).toBe("No alarms");
      await expect.poll(() => page.textContent("#node-listeners")).toContain(String(broker.ports.amqp));
      // an alarm on: the page says publishers are blocked (the node's answer stubbed with it set)
      const real = await get(`/api/nodes/${encodeURIComponent(node)}?memory=true`);
      await page.route(
        (url) => url.pathname.startsWith("/api/nodes/"),
        (r) => r.fulfill({ contentType: "application/json", body: JSON.stringify({ ...real, mem_alarm: true }) }),
      );
      await expect.poll(() => page.textContent("#node-alarms"), { timeout: 10_000 }).toBe("Memory alarm: publishers are blocked");
    } finally {
      await page.close();
    }
  });
});

describe("management web UI: forms", () => {
  it("adds a queue with typed argument helpers and declares an exchange with its flags and arguments", async () => {
    const page = await open("#/queues");
    try {
      const form = page.locator("#add-queue-form");
      await form.locator('input[name="name"]').fill("ui.shaped");
      await form.locator('.argument-link[data-key="x-message-ttl"]').click();
      await form.locator(".arg-value").nth(0).fill("60000");
      await form.locator('.argument-link[data-key="x-dead-letter-exchange"]').click();
      await form.locator(".arg-value").nth(1).fill("dlx");
      await form.locator('.argument-link[data-key="x-single-active-consumer"]').click();
      await form.locator(".arg-value").nth(2).fill("true");
      // the helper set the row's type, so the value goes as a number and a boolean, not text
      expect(await form.locator(".arg-type").nth(0).inputValue()).toBe("number");
      expect(await form.locator(".arg-type").nth(2).inputValue()).toBe("boolean");
      await form.locator('button[type="submit"]').click();
      await expect.poll(() => page.textContent("#add-queue-result")).toBe("Queue ui.shaped declared.");
      expect((await get("/api/queues/%2F/ui.shaped")).arguments).toEqual({
        "x-message-ttl": 60000,
        "x-dead-letter-exchange": "dlx",
        "x-single-active-consumer": true,
      });
      await row(page, "#queues-table", "/|ui.shaped").waitFor({ timeout: 10_000 });
      expect(await row(page, "#queues-table", "/|ui.shaped").textContent()).toContain("Args");
      // the quorum type offers quorum's helpers; a refused declaration shows RabbitMQ's reason
      await form.locator('select[name="type"]').selectOption("quorum");
      await expect.poll(() => form.locator('.argument-link[data-key="x-delivery-limit"]').count()).toBe(1);
      expect(await form.locator('.argument-link[data-key="x-max-priority"]').count()).toBe(0);
      await form.locator('input[name="name"]').fill("ui.quorum");
      await form.locator('select[name="durable"]').selectOption("false");
      await form.locator(".arg-key").nth(0).fill("");
      await form.locator(".arg-key").nth(1).fill("");
      await form.locator(".arg-key").nth(2).fill("");
      await form.locator('button[type="submit"]').click();
      await expect.poll(() => page.textContent("#add-queue-result")).toMatch(/durable/);
      expect((await api(broker, "GET", "/api/queues/%2F/ui.quorum")).status).toBe(404);

      await page.click('nav a[data-tab="exchanges"]');
      const x = page.locator("#add-exchange-form");
      await x.locator('input[name="name"]').fill("ui.internal");
      await x.locator('select[name="type"]').selectOption("headers");
      await x.locator('select[name="durable"]').selectOption("false");
      await x.locator('select[name="auto_delete"]').selectOption("true");
      await x.locator('select[name="internal"]').selectOption("true");
      await x.locator('.argument-link[data-key="alternate-exchange"]').click();
      await x.locator(".arg-value").first().fill("amq.fanout");
      await x.locator('button[type="submit"]').click();
      await expect.poll(() => page.textContent("#add-exchange-result")).toBe("Exchange ui.internal declared.");
      expect(await get("/api/exchanges/%2F/ui.internal")).toMatchObject({
        type: "headers",
        durable: false,
        auto_delete: true,
        internal: true,
        arguments: { "alternate-exchange": "amq.fanout" },
      });
      const listed = row(page, "#exchanges-table", "/|ui.internal");
      await listed.waitFor({ timeout: 10_000 });
      expect(await listed.textContent()).toMatch(/headers.*AD.*I.*Args/);
    } finally {
      await page.close();
    }
  });

  it("adds a vhost and a user, gives the user access to it, and deletes the vhost", async () => {
    const page = await open("#/vhosts");
    const asked = dialogs(page, () => true);
    try {
      const v = page.locator("#add-vhost-form");
      await v.locator('input[name="name"]').fill("ui-staging");
      await v.locator('input[name="description"]').fill("staging for the UI test");
      await v.locator('input[name="tags"]').fill("staging, eu");
      await v.locator('select[name="default_queue_type"]').selectOption("quorum");
      await v.locator('button[type="submit"]').click();
      await expect.poll(() => page.textContent("#add-vhost-result")).toBe("Virtual host ui-staging added.");
      const listed = row(page, "#vhosts-table", "ui-staging");
      await listed.waitFor({ timeout: 10_000 });
      expect(await listed.textContent()).toMatch(/staging for the UI test.*staging.*eu.*quorum/);
      expect(await get("/api/vhosts/ui-staging")).toMatchObject({
        description: "staging for the UI test",
        tags: ["staging", "eu"],
        default_queue_type: "quorum",
      });

      // a user added in the UI, then given access to the new vhost from the user's page
      await page.click('nav a[data-tab="users"]');
      const u = page.locator("#add-user-form");
      await u.locator('input[name="name"]').fill("ui-deployer");
      await u.locator('input[name="password"]').fill("s3cret");
      await u.locator('input[name="tags"]').fill("management");
      await u.locator('button[type="submit"]').click();
      await expect.poll(() => page.textContent("#add-user-result")).toBe("User ui-deployer added.");
      const user = row(page, "#users-table", "ui-deployer");
      await user.waitFor({ timeout: 10_000 });
      expect(await user.textContent()).toContain("No access");
      await user.locator("a").click();
      await expect.poll(() => page.textContent("#user-title")).toBe("ui-deployer");
      const p = page.locator("#permission-form");
      await p.locator('select[name="vhost"]').selectOption("ui-staging");
      await p.locator('input[name="write"]').fill("^deploy\\.");
      await p.locator('button[type="submit"]').click();
      await expect.poll(() => page.textContent("#permission-result")).toBe("Permission set for ui-deployer in ui-staging.");
      await row(page, "#permissions-table", "ui-staging|ui-deployer").waitFor();
      expect(await get("/api/permissions/ui-staging/ui-deployer")).toMatchObject({ configure: ".*", write: "^deploy\\.", read: ".*" });
      const t = page.locator("#topic-permission-form");
      await t.locator('select[name="vhost"]').selectOption("ui-staging");
      await t.locator('input[name="write"]').fill("^releases\\.");
      await t.locator('button[type="submit"]').click();
      await row(page, "#topic-permissions-table", "ui-staging|ui-deployer|amq.topic").waitFor({ timeout: 10_000 });
      expect(await get("/api/topic-permissions/ui-staging/ui-deployer")).toEqual([
        expect.objectContaining({ exchange: "amq.topic", write: "^releases\\.", read: ".*" }),
      ]);
      // the access works: the new user logs in to the vhost over AMQP
      const c = await amqp.connect(`amqp://ui-deployer:s3cret@127.0.0.1:${broker.ports.amqp}/ui-staging`);
      await c.close();
      // new tags, the password kept: it still logs in
      const upd = page.locator("#update-user-form");
      await expect.poll(() => upd.locator('input[name="tags"]').inputValue()).toBe("management");
      await upd.locator('input[name="tags"]').fill("monitoring");
      await upd.locator('button[type="submit"]').click();
      await expect.poll(() => page.textContent("#update-user-result")).toBe("User updated.");
      await expect.poll(() => page.textContent("#user-details")).toContain("Tagsmonitoring");
      await (await amqp.connect(`amqp://ui-deployer:s3cret@127.0.0.1:${broker.ports.amqp}/ui-staging`)).close();

      // the vhost's page lists the user; deleting the vhost asks first
      await page.goto(`${base}/?refresh=300#/vhosts/ui-staging`);
      await row(page, "#permissions-table", "ui-staging|ui-deployer").waitFor({ timeout: 10_000 });
      expect(await page.textContent("#vhost-details")).toContain("Default queue typequorum");
      // access given from the vhost's side: pick the user
      const vp = page.locator("#permission-form");
      await vp.locator('select[name="user"]').selectOption("guest");
      await vp.locator('button[type="submit"]').click();
      await row(page, "#permissions-table", "ui-staging|guest").waitFor({ timeout: 10_000 });
      expect(await get("/api/permissions/ui-staging/guest")).toMatchObject({ configure: ".*", write: ".*", read: ".*" });
      await page.locator("#delete-vhost").click();
      await page.waitForURL(/#\/vhosts$/);
      expect(asked).toContain("Are you sure? This object cannot be recovered after deletion.");
      expect((await api(broker, "GET", "/api/vhosts/ui-staging")).status).toBe(404);
      await row(page, "#vhosts-table", "/").waitFor();
      expect(await page.locator('#vhosts-table tr[data-key="ui-staging"]').count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it("sets and deletes a policy and an operator policy; the queue page shows their effective definition", async () => {
    await api(broker, "PUT", "/api/queues/%2F/ui.capped", { durable: true });
    const page = await open("#/policies");
    const asked = dialogs(page, () => true);
    try {
      const op = page.locator("#operator-policy-form");
      await op.locator('input[name="name"]').fill("ops-cap");
      await op.locator('input[name="pattern"]').fill("^ui\\.capped$");
      await op.locator('textarea[name="definition"]').fill('{"max-length": 50, "message-ttl": 1000}');
      await op.locator('button[type="submit"]').click();
      await expect.poll(() => page.textContent("#operator-policy-result")).toBe("Operator policy ops-cap set.");
      await row(page, "#operator-policies-table", "/|ops-cap").waitFor({ timeout: 10_000 });
      const pol = page.locator("#policy-form");
      await pol.locator('input[name="name"]').fill("user-cap");
      await pol.locator('input[name="pattern"]').fill("^ui\\.");
      await pol.locator('textarea[name="definition"]').fill('{"max-length": 500}');
      await pol.locator('button[type="submit"]').click();
      await row(page, "#policies-table", "/|user-cap").waitFor({ timeout: 10_000 });
      expect(await get("/api/operator-policies/%2F/ops-cap")).toMatchObject({
        pattern: "^ui\\.capped$",
        "apply-to": "queues",
        definition: { "max-length": 50 },
      });

      await page.goto(`${base}/?refresh=300#/queues/%2F/ui.capped`);
      // the lower limit wins; the TTL comes from the operator policy
      await expect
        .poll(() => page.textContent("#queue-details"), { timeout: 10_000 })
        .toContain("Effective policy definitionmax-length50message-ttl1000");
      expect(await page.textContent("#queue-details")).toContain("Operator policyops-cap");

      await page.goto(`${base}/?refresh=300#/policies`);
      await row(page, "#operator-policies-table", "/|ops-cap").locator("button").click();
      await row(page, "#operator-policies-table", "/|ops-cap").waitFor({ state: "detached", timeout: 10_000 });
      await row(page, "#policies-table", "/|user-cap").locator("button").click();
      await expect.poll(() => page.textContent("#policies-table"), { timeout: 10_000 }).toContain("No policies");
      expect(asked).toHaveLength(2);
      expect(await get("/api/operator-policies")).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("exports the definitions as a download and imports a file, with a summary of what came in", async () => {
    await api(broker, "PUT", "/api/queues/%2F/ui.exported", { durable: true });
    const page = await open("#/definitions");
    try {
      const [download] = await Promise.all([page.waitForEvent("download"), page.click('#export-form button[type="submit"]')]);
      expect(download.suggestedFilename()).toBe("warren-definitions.json");
      const exported = JSON.parse(readFileSync((await download.path())!, "utf8"));
      expect(exported.queues.map((q: { name: string }) => q.name)).toContain("ui.exported");
      expect(exported.users.map((u: { name: string }) => u.name)).toContain("guest");

      const file = join(tmpdir(), `warren-ui-import-${process.pid}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          users: [{ name: "ui-imported", password: "pw", tags: "" }],
          vhosts: [{ name: "ui-imported-vhost" }],
          permissions: [{ user: "ui-imported", vhost: "ui-imported-vhost", configure: ".*", write: ".*", read: ".*" }],
          queues: [
            { name: "ui.in.1", vhost: "ui-imported-vhost", durable: true, auto_delete: false, arguments: {} },
            { name: "ui.in.2", vhost: "ui-imported-vhost", durable: true, auto_delete: false, arguments: {} },
          ],
          parameters: [{ vhost: "ui-imported-vhost", component: "vhost-limits", name: "limits", value: { "max-connections": 10 } }],
          // kept and exported but not acted on: the import warns about it
          global_parameters: [{ name: "ui-note", value: "kept" }],
        }),
      );
      await page.setInputFiles('#import-form input[name="file"]', file);
      await page.click('#import-form button[type="submit"]');
      await expect.poll(() => page.textContent("#import-result")).toContain("Definitions imported.");
      const summary = Object.fromEntries(
        (await page.locator("#import-summary tr").allTextContents()).map((t) => [t.replace(/\d+$/, ""), Number(t.match(/\d+$/)![0])]),
      );
      expect(summary).toMatchObject({ users: 1, vhosts: 1, permissions: 1, queues: 2 });
      expect(await page.textContent("#import-result .warnings")).toContain("global parameter 'ui-note' is kept");
      expect((await get("/api/queues/ui-imported-vhost")).length).toBe(2);

      // a file that is refused says why
      writeFileSync(file, JSON.stringify({ queues: [{ name: "x", vhost: "no-such-vhost", durable: true, arguments: {} }] }));
      await page.setInputFiles('#import-form input[name="file"]', file);
      await page.click('#import-form button[type="submit"]');
      await expect.poll(() => page.textContent("#import-result")).toContain("Import refused.");
      expect(await page.textContent("#import-result")).toContain("no-such-vhost");
    } finally {
      await page.close();
    }
  });
});
