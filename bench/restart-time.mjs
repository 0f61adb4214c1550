// Restart time with a deep durable backlog: fills a data dir with N persistent messages (through the
// core, in-process, to save time), then starts the CLI on it R times and reports how long it takes until
// the AMQP port accepts connections and what the broker logs as its own start-up time.
// usage: node bench/restart-time.mjs [messages=1000000] [bodyBytes=1024] [runs=3]
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Message, startBroker } from "../dist/index.js";
import { listenerArgs } from "./lib/cli-listeners.mjs";

const [N = 1_000_000, SIZE = 1024, RUNS = 3] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), "warren-restart-"));
{
  const b = await startBroker({ amqp: false, dataDir: dir, logLevel: "warn" });
  const v = b.core.vhost("/");
  v.declareQueue("deep", { durable: true }, null);
  const body = Buffer.alloc(SIZE, 120);
  for (let i = 0; i < N; i += 10000) {
    for (let k = i; k < Math.min(N, i + 10000); k++) v.publish("", "deep", new Message("", "deep", body, { deliveryMode: 2 }, null));
    await b.persistence.commit.drain(); // bounded buffers: one commit per 10,000
  }
  await b.close();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const wall = [];
const logged = [];
const cpu = [];
for (let r = 0; r < RUNS; r++) {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, ["dist/cli/main.js", ...listenerArgs({ amqp: 0 }), "--data-dir", dir, "--log-level", "info"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const { port, startupMs } = await new Promise((resolve, reject) => {
    let log = "";
    child.stderr.on("data", (d) => {
      log += d;
      const line = log.split("\n").find((l) => l.includes("Warren started"));
      if (line) {
        const j = JSON.parse(line);
        resolve({ port: j.ports.amqp, startupMs: j.startupMs });
      }
    });
    child.once("exit", (code) => reject(new Error(`broker exited ${code}: ${log}`)));
  });
  await new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => {
      s.destroy();
      resolve();
    });
    s.once("error", reject);
  });
  wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
  // the broker's own CPU time for the start (utime + stime, in clock ticks of 10 ms)
  const f = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
  cpu.push((Number(f[11]) + Number(f[12])) * 10);
  logged.push(startupMs);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
}
console.log(
  JSON.stringify({
    messages: N,
    bodyBytes: SIZE,
    runs: RUNS,
    medianMsUntilAmqpAccepts: Math.round(median(wall)),
    runsMs: wall.map(Math.round),
    medianStartupMsLogged: median(logged),
    medianBrokerCpuMs: median(cpu),
    cpuMs: cpu,
  }),
);
rmSync(dir, { recursive: true, force: true });
