// No Docker engine runs in the test environment, so the image files are checked by reading them:
// every listener's default port is exposed and published, the data volume is where the CLI keeps
// data, the image runs as a non-root user, and the compose healthcheck script really works against
// a running Warren's management API.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { startBroker } from "warren";
import { DEFAULT_PORTS, DEFAULT_TLS_PORTS } from "../../src/server/options.js";
import { resolveStartOptions, type StartFlags } from "../../src/server/config.js";

const dockerfile = readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8");
const compose = readFileSync(new URL("../../docker-compose.yml", import.meta.url), "utf8");
const everyPort = [...Object.values(DEFAULT_PORTS), ...Object.values(DEFAULT_TLS_PORTS)].sort((a, b) => a - b);

/** The compose file's services, each as the text of its block (a two-space key under `services:`). */
function composeServices(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let inServices = false;
  let name: string | null = null;
  let block: string[] = [];
  const flush = () => {
    if (name !== null) out.set(name, block.join("\n"));
    name = null;
    block = [];
  };
  for (const line of text.split("\n")) {
    if (/^\S/.test(line)) {
      flush();
      inServices = line === "services:";
      continue;
    }
    const key = /^ {2}([\w-]+):$/.exec(line);
    if (inServices && key !== null) {
      flush();
      name = key[1]!;
    } else if (name !== null) block.push(line);
  }
  flush();
  return out;
}

/** `- "host:container"` lines of a block. */
const publishedPorts = (block: string): (readonly [number, number])[] =>
  [...block.matchAll(/^\s+- "(\d+):(\d+)"/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
const services = composeServices(compose);

describe("Dockerfile", () => {
  const lines = dockerfile.split("\n").filter((l) => !l.trimStart().startsWith("#"));

  it("exposes exactly the default port of every listener, TLS ones included", () => {
    const exposed = lines
      .filter((l) => l.startsWith("EXPOSE "))
      .flatMap((l) => l.slice(7).trim().split(/\s+/))
      .map(Number);
    expect(exposed.sort((a, b) => a - b)).toEqual(everyPort);
    expect(everyPort).toEqual(expect.arrayContaining([5671, 5672, 1883, 8883, 61613, 61614, 15672, 15674, 15675, 15692]));
  });

  it("builds in one node:24-slim (LTS) stage with npm ci and runs in another as a non-root user with the data volume", () => {
    const froms = lines.filter((l) => l.startsWith("FROM "));
    expect(froms).toEqual(["FROM node:24-slim AS build", "FROM node:24-slim"]);
    // package.json's prepare builds dist/: npm ci runs before the sources are copied, so it skips
    // scripts, and the build comes after the COPY of the sources
    expect(lines).toContain("RUN npm ci --ignore-scripts");
    const build = lines.findIndex((l) => l.startsWith("RUN npm run build"));
    expect(build).toBeGreaterThan(lines.indexOf("COPY src ./src"));
    expect(build).toBeGreaterThan(lines.indexOf("COPY protocols ./protocols"));
    const final = lines.slice(lines.indexOf("FROM node:24-slim"));
    expect(final).toContain("USER node");
    expect(final).toContain("VOLUME /var/lib/warren");
    expect(final.join("\n")).toContain("WARREN_DATA_DIR=/var/lib/warren");
    expect(final).toContain('ENTRYPOINT ["node", "dist/cli/main.js"]');
    // COPY sources must exist in the repository (src, protocols, the build config)
    for (const l of lines.filter((x) => x.startsWith("COPY ") && !x.includes("--from"))) {
      for (const src of l.slice(5).trim().split(/\s+/).slice(0, -1))
        expect(() => readFileSync(new URL(`../../${src}`, import.meta.url))).not.toThrow(/ENOENT/);
    }
  });
});

describe("docker-compose.yml", () => {
  it("publishes every exposed port on the same host port", () => {
    const published = publishedPorts(services.get("warren")!);
    expect(published.every(([h, c]) => h === c)).toBe(true);
    expect(published.map(([, c]) => c).sort((a, b) => a - b)).toEqual(everyPort);
  });

  it("restarts after a crash and gives a graceful stop more time than Warren's own 30 s limit", () => {
    expect(compose).toMatch(/^\s+restart: unless-stopped$/m);
    const grace = /^\s+stop_grace_period: (\d+)s$/m.exec(compose);
    expect(Number(grace?.[1])).toBeGreaterThan(30);
  });

  it("keeps data in a named volume mounted at the image's data dir", () => {
    expect(compose).toMatch(/^\s+- warren-data:\/var\/lib\/warren$/m);
    expect(compose).toMatch(/^volumes:\n\s+warren-data:/m);
    expect(compose).toMatch(/^\s+build: \.$/m);
  });

  // three node processes: generous on a loaded machine
  it("has a healthcheck whose script passes against a running Warren and fails when the API is down", { timeout: 90_000 }, async () => {
    const m = /healthcheck:[\s\S]*?- -e\n\s+- >-\n((?:\s{10}.*\n)+)/.exec(compose);
    expect(m).not.toBeNull();
    // YAML's folded scalar joins the lines with spaces
    const script = m![1]!
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .join(" ");
    expect(script).toContain("http://127.0.0.1:15672/api/health/checks/alarms");
    const broker = await startBroker({ management: { port: 0 } });
    const run = promisify(execFile);
    try {
      const local = script.replace("15672", String(broker.ports.management));
      await Promise.all([
        expect(
          run(process.execPath, ["-e", local], { env: { ...process.env, WARREN_DEFAULT_USER: "", WARREN_DEFAULT_PASS: "" } }),
        ).resolves.toBeDefined(),
        expect(run(process.execPath, ["-e", local], { env: { ...process.env, WARREN_DEFAULT_PASS: "wrong" } })).rejects.toMatchObject({
          code: 1,
        }),
        expect(run(process.execPath, ["-e", script.replace("15672", "1")])).rejects.toMatchObject({ code: 1 }),
      ]);
    } finally {
      await broker.close();
    }
  });
});

/** `- ./source:/target[:ro]` volume lines of a block. */
const binds = (block: string) =>
  [...block.matchAll(/^\s+- \.\/([^:]+):([^:\s]+)(?::ro)?\s*$/gm)].map((m) => ({ source: m[1]!, target: m[2]! }));

const repoFile = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("docker-compose.yml monitoring profile", () => {
  const all = services;

  it("leaves the default `docker compose up` as it was: only warren has no profile", () => {
    expect([...all.keys()]).toEqual(["warren", "prometheus", "grafana", "etcd", "warren-n1", "warren-n2", "warren-n3"]);
    expect(all.get("warren")).not.toMatch(/profiles:/);
    for (const name of ["prometheus", "grafana"]) expect(all.get(name)).toMatch(/^\s+profiles: \["monitoring"\]$/m);
  });

  it("mounts files that exist, where Prometheus and Grafana read them", () => {
    for (const block of [all.get("prometheus")!, all.get("grafana")!]) {
      for (const { source } of binds(block)) expect(existsSync(new URL(`../../${source}`, import.meta.url)), source).toBe(true);
    }
    expect(binds(all.get("prometheus")!)).toEqual([
      { source: "docker/monitoring/prometheus.yml", target: "/etc/prometheus/prometheus.yml" },
    ]);
    const grafana = binds(all.get("grafana")!);
    expect(grafana.map((b) => b.target)).toEqual([
      "/etc/grafana/provisioning/datasources/warren.yml",
      "/etc/grafana/provisioning/dashboards/warren.yml",
      "/var/lib/grafana/dashboards/warren",
    ]);
  });

  it("points Prometheus at Warren's metrics port and Grafana at Prometheus, and provisions both dashboards", () => {
    const prometheusYml = repoFile("docker/monitoring/prometheus.yml");
    expect(prometheusYml).toMatch(/^\s+metrics_path: \/metrics$/m);
    expect(prometheusYml).toContain(`- targets: ['warren:${DEFAULT_PORTS.prometheus}']`);
    const datasources = repoFile("docker/monitoring/grafana/datasources.yml");
    expect(datasources).toMatch(/^\s+- name: prometheus$/m);
    expect(datasources).toMatch(/^\s+type: prometheus$/m);
    expect(datasources).toMatch(/^\s+url: http:\/\/prometheus:9090$/m);
    expect(all.get("prometheus")).toContain('"127.0.0.1:9090:9090"');
    const dashboards = repoFile("docker/monitoring/grafana/dashboards.yml");
    const path = /^\s+path: (\S+)$/m.exec(dashboards)?.[1];
    const mounted = binds(all.get("grafana")!).find((b) => b.target === path);
    expect(mounted?.source).toBe("docs/grafana");
  });

  it("ships dashboards that use the provisioned datasource through DS_PROMETHEUS", () => {
    const uids = new Set<string>();
    for (const file of ["warren-overview.json"]) {
      const d = JSON.parse(repoFile(`docs/grafana/${file}`)) as {
        uid: string;
        title: string;
        panels: { datasource?: unknown; panels?: { datasource?: unknown }[]; targets?: { expr?: string }[] }[];
        templating: { list: { name: string; type: string; query?: unknown }[] };
      };
      expect(uids.has(d.uid)).toBe(false);
      uids.add(d.uid);
      const ds = d.templating.list.find((v) => v.name === "DS_PROMETHEUS");
      expect(ds, file).toMatchObject({ type: "datasource", query: "prometheus" });
      const refs = JSON.stringify(d.panels).match(/"datasource":\{[^}]*\}|"datasource":"[^"]*"/g) ?? [];
      expect(refs.length).toBeGreaterThan(0);
      for (const r of refs) expect(r, `${file}: ${r}`).toContain("${DS_PROMETHEUS}");
    }
  });
});

describe("docker-compose.yml's cluster profile", () => {
  const nodes = ["n1", "n2", "n3"].map((n) => ({ n, block: services.get(`warren-${n}`) }));
  /** A JSON-style flow list, as the nodes' `command:` is written. */
  const commandOf = (block: string): string[] => JSON.parse(/^\s+command: (\[.*\])$/m.exec(block)![1]!) as string[];

  it("leaves `docker compose up` as it was: only the warren service has no profile, the rest are in `cluster`", () => {
    expect([...services.keys()]).toEqual(["warren", "prometheus", "grafana", "etcd", "warren-n1", "warren-n2", "warren-n3"]);
    expect(services.get("warren")).not.toMatch(/profiles:/);
    for (const name of ["etcd", "warren-n1", "warren-n2", "warren-n3"]) expect(services.get(name)).toMatch(/^\s+profiles: \["cluster"\]$/m);
  });

  it("runs one etcd from its upstream image, with its data in a named volume, reachable as etcd:2379", () => {
    const etcd = services.get("etcd")!;
    expect(etcd).toMatch(/^\s+image: quay\.io\/coreos\/etcd:v3\.5\.\d+$/m);
    expect(etcd).toContain("--advertise-client-urls=http://etcd:2379");
    expect(etcd).toContain("--listen-client-urls=http://0.0.0.0:2379");
    expect(etcd).toMatch(/^\s+- etcd-data:\/etcd-data$/m);
    expect(compose).toMatch(/^volumes:\n(\s+[\w-]+:\n)*\s+etcd-data:/m);
  });

  it("runs three Warren nodes whose commands parse into distinct cluster settings against that etcd", () => {
    const seen = { names: new Set<string>(), ports: new Set<number>() };
    for (const { n, block } of nodes) {
      expect(block).toBeDefined();
      const argv = commandOf(block!);
      // the flags as `warren` reads them: each --flag value pair becomes its StartFlags entry
      const flags: Record<string, string> = {};
      for (let i = 0; i < argv.length; i += 2) {
        expect(argv[i]).toMatch(/^--[a-z-]+$/);
        flags[argv[i]!.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = argv[i + 1]!;
      }
      const { options } = resolveStartOptions(flags as StartFlags, {});
      expect(options.cluster).toMatchObject({ etcd: ["http://etcd:2379"], nodeName: n });
      seen.names.add(options.cluster!.nodeName);
      seen.ports.add(options.cluster!.replicationPort);
      // no --host: the node advertises its host name, which is the service's name on the network
      expect(flags.host).toBeUndefined();
      expect(block).toMatch(new RegExp(`^\\s+hostname: warren-${n}$`, "m"));
      expect(block).toMatch(/^\s+build: \.$/m);
      expect(block).toMatch(/^\s+depends_on:\n\s+- etcd$/m);
      // a leader that loses its lease exits 75 and must come back as a follower
      expect(block).toMatch(/^\s+restart: unless-stopped$/m);
      expect(block).toMatch(new RegExp(`^\\s+- warren-${n}-data:/var/lib/warren$`, "m"));
      expect(compose).toMatch(new RegExp(`^volumes:\\n(\\s+[\\w-]+:\\n)*\\s+warren-${n}-data:`, "m"));
    }
    expect(seen.names.size).toBe(3);
    expect(seen.ports.size).toBe(3);
  });

  it("publishes each node's client, management and Prometheus ports on host ports of their own, clashing with nothing", () => {
    const wanted = [DEFAULT_PORTS.amqp, DEFAULT_PORTS.mqtt, DEFAULT_PORTS.stomp, DEFAULT_PORTS.management, DEFAULT_PORTS.prometheus].sort(
      (a, b) => a - b,
    );
    for (const { block } of nodes) {
      expect(
        publishedPorts(block!)
          .map(([, c]) => c)
          .sort((a, b) => a - b),
      ).toEqual(wanted);
    }
    // every host port in the file once: the cluster and the single node can run side by side
    const hostPorts = [...services.values()].flatMap((b) => publishedPorts(b).map(([h]) => h));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    // the host list the header comment gives for AMQP is what is published
    const amqpHosts = nodes.map(({ block }) => publishedPorts(block!).find(([, c]) => c === DEFAULT_PORTS.amqp)![0]);
    expect(compose).toContain(`AMQP localhost:${amqpHosts.join(",")}`);
  });
});
