// Drives the management web UI in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core). Chromium is a test dependency like RabbitMQ is for the conformance suite:
// conformance/rabbitmq.sh deps installs it, and without it this test fails rather than skips. It runs
// under `npm run test:browser` (vitest.browser.config.ts), which .ci/run runs; `npm test` leaves it out.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amqp from "amqplib";
import { type Browser, chromium } from "playwright-core";
import type { RunningBroker } from "warren";
import { startWithManagement } from "../management/helpers.js";

const CHROMIUM = process.env.WARREN_CHROMIUM ?? "/usr/bin/chromium";
// WARREN_UPDATE_SCREENSHOT=1 refreshes the one in docs/; otherwise it goes to a temporary file,
// so a test run leaves the working tree as it was
const SCREENSHOT =
  process.env.WARREN_UPDATE_SCREENSHOT === "1"
    ? fileURLToPath(new URL("../../docs/management-ui.png", import.meta.url))
    : join(tmpdir(), `warren-management-ui-${process.pid}.png`);

let broker: RunningBroker;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (bash conformance/rabbitmq.sh deps) or set WARREN_CHROMIUM`);
  }
  // rates sampled every second, so a steady publisher shows on the chart between two refreshes
  broker = await startWithManagement({
    logLevel: "silent",
    mqtt: false,
    stomp: false,
    prometheus: false,
    management: { port: 0, sampleInterval: 1000 },
  });
  base = `http://127.0.0.1:${broker.ports.management}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await broker?.close();
});

describe("management web UI", () => {
  it("logs in, shows a queue declared over AMQP with its depth, publishes and gets messages", async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`, {
      clientProperties: { connection_name: "ui-test" },
    });
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("orders", { durable: true });
    for (let i = 0; i < 7; i++) ch.sendToQueue("orders", Buffer.from(`order ${i}`), { persistent: true });
    await ch.waitForConfirms();
    await ch.assertQueue("invoices");
    await ch.consume("invoices", () => undefined);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${base}/?refresh=300`);
      await page.fill('#login-form input[name="password"]', "wrong");
      await page.click('#login-form button[type="submit"]');
      await expect.poll(() => page.textContent("#login-error")).toBe("Login failed");
      await page.fill('#login-form input[name="password"]', "guest");
      await page.click('#login-form button[type="submit"]');

      // the overview's totals and rates come from /api/overview and update themselves
      await page.waitForSelector("#totals .total");
      await expect.poll(async () => page.locator("#totals .total").first().textContent(), { timeout: 10_000 }).toContain("1");

      await page.click('nav a[data-tab="queues"]');
      const row = page.locator('#queues-table tr[data-queue="orders"]');
      await row.waitFor({ timeout: 10_000 });
      await expect.poll(() => row.locator(".ready").textContent()).toBe("7");

      // depth changes reach the page on the next refresh, without a reload
      for (let i = 0; i < 3; i++) ch.sendToQueue("orders", Buffer.from("more"));
      await ch.waitForConfirms();
      await expect.poll(() => row.locator(".ready").textContent(), { timeout: 10_000 }).toBe("10");

      // get messages form: requeue mode shows the payload and leaves the depth as it was
      await page.fill('#get-form input[name="queue"]', "orders");
      await page.click('#get-form button[type="submit"]');
      await expect.poll(() => page.textContent("#get-result .payload")).toBe("order 0");

      // publish form on the exchanges tab, into the default exchange
      await page.click('nav a[data-tab="exchanges"]');
      await page.fill('#publish-form input[name="routing_key"]', "orders");
      await page.fill('#publish-form textarea[name="payload"]', "from the UI");
      await page.click('#publish-form button[type="submit"]');
      await expect.poll(() => page.textContent("#publish-result")).toBe("Message published.");
      await page.click('nav a[data-tab="queues"]');
      await expect.poll(() => row.locator(".ready").textContent(), { timeout: 10_000 }).toBe("11");

      // a policy set from the policies tab applies to the queue: its row shows the new limit's effect
      await page.click('nav a[data-tab="policies"]');
      await page.fill('#policy-form input[name="name"]', "cap-orders");
      await page.fill('#policy-form input[name="pattern"]', "^orders$");
      await page.fill('#policy-form textarea[name="definition"]', '{"max-length": 5}');
      await page.click('#policy-form button[type="submit"]');
      await expect.poll(() => page.textContent("#policy-result")).toBe("Policy cap-orders set.");
      await expect.poll(() => page.textContent("#policies-table")).toContain("^orders$");
      await page.click('nav a[data-tab="queues"]');
      await expect.poll(() => row.locator(".ready").textContent(), { timeout: 10_000 }).toBe("5");
      await page.click('nav a[data-tab="policies"]');
      await page.click('button[data-delete-policy="/|cap-orders"]');
      await expect.poll(() => page.textContent("#policies-table")).toContain("No policies");

      await page.click('nav a[data-tab="connections"]');
      await expect.poll(() => page.textContent("#connections-table")).toContain("ui-test");

      // the screenshot in docs/ shows the overview with some traffic on its chart
      await page.click('nav a[data-tab="overview"]');
      const traffic = setInterval(() => {
        for (let i = 0; i < 20; i++) ch.sendToQueue("invoices", Buffer.from("x"));
      }, 50);
      try {
        await expect.poll(() => page.textContent("#rates-legend"), { timeout: 15_000 }).not.toContain("Publish: 0.0/s");
        await page.waitForTimeout(1500); // a few more points on the chart for the screenshot (not synchronisation)
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
        expect(readFileSync(SCREENSHOT).subarray(1, 4).toString()).toBe("PNG");
        if (process.env.WARREN_UPDATE_SCREENSHOT !== "1") rmSync(SCREENSHOT);
      } finally {
        clearInterval(traffic);
      }
      await ch.waitForConfirms();
    } finally {
      await page.close();
      await conn.close();
    }
  }, 60_000);
});
