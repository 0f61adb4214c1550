#!/usr/bin/env node
// JMS over OpenWire: Warren against ActiveMQ 5.17, side by side in one run, with ActiveMQ's own
// Java client (Debian libactivemq-java) in a JVM per side (bench/openwire-jms/JmsBench.java,
// compiled here with javac, as the conformance programs are).
//
//   npm run build
//   node bench/openwire-jms.mjs [--runs 3] [--quick] [--scenarios a,b] [--warren-port 26621]
//     [--activemq-port 26622] [--out bench/results/FILE.json] [--only warren|activemq|warren-tight,...]
//     [--warren-cpu-prof DIR]   (the measured Warren under node --cpu-prof: bench/profile-top.mjs reads it)
//     [--warren-base DIR]       (target `warren-base`: the Warren built in DIR, e.g. an earlier commit's
//                                tree with its dist/, for a before/after in the same minutes)
//     [--warren-node-arg ARG]…  (a node flag for every Warren started, e.g. --trace-gc-nvp)
//     [--warren-stdout-dir DIR] (each Warren's stdout to DIR/<target>-<pid>.log, for what such a flag prints)
//
// Both brokers are started by the harness on loopback with OpenWire only: Warren's CLI
// (dist/cli/main.js) and ActiveMQ 5.17 (Debian's `activemq`, the JVM started directly as
// conformance/activemq.sh does, with ActiveMQ's stock heap -Xms64M -Xmx1G and KahaDB), each on
// a data directory of its own under /tmp. Reported per broker:
//   - start-up: from spawning the process to OpenWire accepting a TCP connection (median of
//     --runs starts), and the idle RSS 3 s after that (median);
//   - per scenario (median of --runs): msg/s as the consumers saw it (first to last message) and
//     the broker's CPU time (utime+stime from /proc) per delivered message, from the consumers'
//     READY to the last message.
// The table goes to stdout, progress to stderr, every run's figures to --out. `warren` offers
// loose encoding without the marshal cache (its default), so the client's defaults (tight with
// the cache) negotiate loose and uncached; `warren-tight` is a second Warren configured to offer
// both as ActiveMQ does (openwire.tight_encoding, openwire.cache), so they negotiate tight with the
// cache: `--only warren,activemq,warren-tight` compares all three in the same minutes.
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listenerArgs } from "./lib/cli-listeners.mjs";
import { CLK_TCK, cpuTicks, minorFaults, rssBytes } from "./lib/proc.mjs";
import { median, sleep } from "./lib/stats.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const JARS = [
  "activemq-client.jar",
  "geronimo-jms_1.1_spec.jar",
  "slf4j-api.jar",
  "slf4j-nop.jar",
  "hawtbuf.jar",
  "geronimo-j2ee-management-1.1-spec.jar",
].map((j) => join("/usr/share/java", j));
const ACTIVEMQ_HOME = "/usr/share/activemq";

/** The scenarios: what the producer sends, how the consumers take it; counts for a full and a quick run. */
const SCENARIOS = [
  { name: "text-16-auto", kind: "queue", persistent: false, bytes: 16, consumers: 1, ack: "auto", count: 200_000, quick: 40_000 },
  { name: "text-1k-auto", kind: "queue", persistent: false, bytes: 1024, consumers: 1, ack: "auto", count: 100_000, quick: 20_000 },
  {
    name: "persistent-1k-client-ack",
    kind: "queue",
    persistent: true,
    bytes: 1024,
    consumers: 1,
    ack: "client",
    count: 10_000,
    quick: 2_000,
  },
  { name: "topic-fanout-16-1to10", kind: "topic", persistent: false, bytes: 16, consumers: 10, ack: "auto", count: 20_000, quick: 4_000 },
];

function parseArgs(argv) {
  const o = {
    runs: 3,
    quick: false,
    scenarios: null,
    warrenPort: 26621,
    activemqPort: 26622,
    out: null,
    only: null,
    warrenCpuProf: null,
    warrenBase: null,
    warrenNodeArgs: [],
    warrenStdoutDir: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--runs") o.runs = Number(next());
    else if (a === "--quick") o.quick = true;
    else if (a === "--scenarios") o.scenarios = next().split(",");
    else if (a === "--warren-port") o.warrenPort = Number(next());
    else if (a === "--activemq-port") o.activemqPort = Number(next());
    else if (a === "--out") o.out = next();
    else if (a === "--only") o.only = next();
    else if (a === "--warren-cpu-prof") o.warrenCpuProf = next();
    else if (a === "--warren-base") o.warrenBase = next();
    else if (a === "--warren-node-arg") o.warrenNodeArgs.push(next());
    else if (a === "--warren-stdout-dir") o.warrenStdoutDir = next();
    else throw new Error(`unknown option ${a}`);
  }
  if (o.quick && !argv.includes("--runs")) o.runs = 1;
  return o;
}

const log = (...a) => console.error("openwire-jms:", ...a);

function compile() {
  for (const j of [...JARS, "/usr/bin/javac", `${ACTIVEMQ_HOME}/bin/activemq.jar`]) {
    if (!existsSync(j)) throw new Error(`missing ${j}: bash conformance/activemq.sh deps installs ActiveMQ 5.17 and a JDK`);
  }
  const out = mkdtempSync(join(tmpdir(), "warren-jmsbench-"));
  execFileSync("/usr/bin/javac", ["-d", out, "-cp", JARS.join(":"), join(ROOT, "bench/openwire-jms/JmsBench.java")], { stdio: "inherit" });
  return out;
}

/** True once something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port) {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** The broker process for `target`, on a fresh data dir; resolves once OpenWire accepts, with the time it took. */
async function startBroker(target, port, cpuProfDir = null, warrenBase = null, nodeArgs = [], stdoutDir = null) {
  const dir = mkdtempSync(join(tmpdir(), `warren-jmsbench-${target}-`));
  let proc;
  const t0 = process.hrtime.bigint();
  if (target === "warren" || target === "warren-tight" || target === "warren-base") {
    const conf = join(dir, "warren.conf");
    writeFileSync(conf, target === "warren-tight" ? "openwire.tight_encoding = true\nopenwire.cache = true\n" : "");
    proc = spawn(
      process.execPath,
      [
        ...nodeArgs,
        ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : []),
        target === "warren-base" ? join(warrenBase ?? "", "dist/cli/main.js") : join(ROOT, "dist/cli/main.js"),
        ...listenerArgs({ openwire: `127.0.0.1:${port}` }),
        "--data-dir",
        join(dir, "data"),
        "--log-level",
        "warning",
        "--config",
        conf,
      ],
      { stdio: ["ignore", stdoutDir ? "pipe" : "ignore", "inherit"] },
    );
    if (stdoutDir) proc.stdout.pipe(createWriteStream(join(stdoutDir, `${target}-${proc.pid}.log`)));
  } else {
    mkdirSync(join(dir, "conf"));
    mkdirSync(join(dir, "data"));
    mkdirSync(join(dir, "tmp"));
    writeFileSync(
      join(dir, "conf/activemq.xml"),
      `<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" brokerName="bench" dataDirectory="${dir}/data">
    <persistenceAdapter><kahaDB directory="${dir}/data/kahadb"/></persistenceAdapter>
    <transportConnectors><transportConnector name="openwire" uri="tcp://127.0.0.1:${port}"/></transportConnectors>
  </broker>
</beans>
`,
    );
    proc = spawn(
      "java",
      [
        "-Xms64M",
        "-Xmx1G",
        `-Dactivemq.home=${ACTIVEMQ_HOME}`,
        `-Dactivemq.base=${dir}`,
        `-Dactivemq.conf=${dir}/conf`,
        `-Dactivemq.data=${dir}/data`,
        `-Djava.io.tmpdir=${dir}/tmp`,
        "-jar",
        `${ACTIVEMQ_HOME}/bin/activemq.jar`,
        "start",
        `xbean:file:${dir}/conf/activemq.xml`,
      ],
      { cwd: dir, stdio: ["ignore", "ignore", "ignore"] },
    );
  }
  let exited = false;
  proc.once("exit", () => {
    exited = true;
  });
  const deadline = Date.now() + 120_000;
  while (!(await accepts(port))) {
    if (exited) throw new Error(`${target} exited during start-up`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`${target}: OpenWire not accepting after 120 s`);
    }
    await sleep(10);
  }
  const startupMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    target,
    port,
    pid: proc.pid,
    startupMs,
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        const t = setTimeout(() => proc.kill("SIGKILL"), 20_000);
        await gone;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a JVM of JmsBench; `onReady` is called when it prints READY. Resolves with its last JSON line. */
function jvm(classes, args, onReady) {
  return new Promise((resolve, reject) => {
    const p = spawn("java", ["-Xmx512M", "-cp", [classes, ...JARS].join(":"), "JmsBench", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let ready = false;
    p.stdout.on("data", (d) => {
      out += d;
      if (!ready && out.includes("READY\n")) {
        ready = true;
        onReady?.();
      }
    });
    p.stderr.on("data", (d) => {
      err += d;
    });
    const t = setTimeout(() => p.kill("SIGKILL"), 180_000);
    p.once("close", (code) => {
      clearTimeout(t);
      if (code !== 0) reject(new Error(`JmsBench ${args[0]} exited ${code}: ${out}${err}`));
      else resolve(JSON.parse(out.trim().split("\n").pop()));
    });
  });
}

async function runScenario(classes, broker, s, count, run) {
  const url = `tcp://127.0.0.1:${broker.port}`;
  const name = `bench.${s.name}.${run}.${Date.now()}`;
  const deliveries = count * (s.kind === "topic" ? s.consumers : 1);
  let cpu0 = null;
  let faults0 = null;
  let producer = null;
  const consumer = jvm(classes, ["consume", url, s.kind, name, String(s.consumers), s.ack, String(deliveries)], () => {
    cpu0 = cpuTicks(broker.pid);
    faults0 = minorFaults(broker.pid);
    producer = jvm(classes, ["produce", url, s.kind, name, s.persistent ? "persistent" : "non-persistent", String(s.bytes), String(count)]);
  });
  const c = await consumer;
  const cpu1 = cpuTicks(broker.pid);
  const faults1 = minorFaults(broker.pid);
  const p = await producer;
  const cpuSeconds = (cpu1 - cpu0) / CLK_TCK;
  return {
    deliveries: c.received,
    msgPerSec: c.received / c.seconds,
    producerSeconds: p.seconds,
    consumerSeconds: c.seconds,
    brokerCpuSeconds: cpuSeconds,
    cpuUsPerMsg: (cpuSeconds * 1e6) / c.received,
    // the broker's minor page faults per delivered message (fresh memory touched), same window
    minorFaultsPerMsg: (faults1 - faults0) / c.received,
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const targets = o.only ? o.only.split(",") : ["warren", "activemq"];
  const processes = targets;
  const ports = { warren: o.warrenPort, activemq: o.activemqPort, "warren-tight": o.warrenPort + 2, "warren-base": o.warrenPort + 4 };
  const scenarios = o.scenarios ? SCENARIOS.filter((s) => o.scenarios.includes(s.name)) : SCENARIOS;
  if (!existsSync(join(ROOT, "dist/cli/main.js"))) throw new Error("dist/cli/main.js is missing: npm run build");
  if (targets.includes("warren-base") && (o.warrenBase === null || !existsSync(join(o.warrenBase, "dist/cli/main.js")))) {
    throw new Error("the warren-base target needs --warren-base DIR with a built dist/cli/main.js");
  }
  const classes = compile();
  const result = {
    date: new Date().toISOString(),
    commit: execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim(),
    loadAverageAtStart: execFileSync("cat", ["/proc/loadavg"], { encoding: "utf8" }).trim(),
    runs: o.runs,
    quick: o.quick,
    startup: {},
    scenarios: {},
  };
  // start-up and idle RSS: --runs fresh starts of each broker
  for (const t of processes) {
    result.startup[t] = [];
    for (let r = 0; r < o.runs; r++) {
      const b = await startBroker(t, ports[t], null, o.warrenBase, o.warrenNodeArgs);
      await sleep(3000);
      result.startup[t].push({ startupMs: b.startupMs, idleRssBytes: rssBytes(b.pid) });
      log(`${t} start ${r + 1}: ${b.startupMs.toFixed(0)} ms, idle RSS ${(rssBytes(b.pid) / 2 ** 20).toFixed(1)} MiB`);
      await b.stop();
    }
  }
  const brokers = {};
  for (const t of processes) {
    brokers[t] = await startBroker(t, ports[t], t === "warren" ? o.warrenCpuProf : null, o.warrenBase, o.warrenNodeArgs, o.warrenStdoutDir);
  }
  try {
    for (let r = 0; r < o.runs; r++) {
      for (const s of scenarios) {
        const count = o.quick ? s.quick : s.count;
        for (const t of targets) {
          const m = await runScenario(classes, brokers[t], s, count, r);
          ((result.scenarios[s.name] ??= {})[t] ??= []).push(m);
          log(`run ${r + 1} ${s.name} ${t}: ${m.msgPerSec.toFixed(0)} msg/s, broker CPU ${m.cpuUsPerMsg.toFixed(1)} µs/msg`);
        }
      }
    }
  } finally {
    for (const t of processes) await brokers[t].stop();
    rmSync(classes, { recursive: true, force: true });
  }
  result.loadAverageAtEnd = execFileSync("cat", ["/proc/loadavg"], { encoding: "utf8" }).trim();
  if (o.out) writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(table(result, targets));
}

function table(result, targets) {
  const [a, b] = targets;
  const f0 = (n) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));
  const ratio = (x, y) => (y ? `${(x / y).toFixed(2)}×` : "");
  const lines = [];
  // every target's column, then the first ÷ the second
  const head = `| | ${targets.join(" | ")} |${b ? ` ${a} ÷ ${b} |` : ""}\n|---|${targets.map(() => "---:|").join("")}${b ? "---:|" : ""}`;
  lines.push(head);
  for (const [name, per] of Object.entries(result.scenarios)) {
    const rate = targets.map((t) => median(per[t].map((m) => m.msgPerSec)));
    const cpu = targets.map((t) => median(per[t].map((m) => m.cpuUsPerMsg)));
    lines.push(`| ${name}: msg/s | ${rate.map(f0).join(" | ")}${b ? ` | ${ratio(rate[0], rate[1])}` : ""} |`);
    lines.push(`| ${name}: broker CPU µs/msg | ${cpu.map(f0).join(" | ")}${b ? ` | ${ratio(cpu[0], cpu[1])}` : ""} |`);
  }
  const st = targets.map((t) => median(result.startup[t].map((s) => s.startupMs)));
  const rss = targets.map((t) => median(result.startup[t].map((s) => s.idleRssBytes)) / 2 ** 20);
  lines.push(`| start-up to OpenWire accepting, ms | ${st.map(f0).join(" | ")}${b ? ` | ${ratio(st[0], st[1])}` : ""} |`);
  lines.push(`| idle RSS, MiB | ${rss.map(f0).join(" | ")}${b ? ` | ${ratio(rss[0], rss[1])}` : ""} |`);
  return lines.join("\n");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
