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

const dockerfile = readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8");
const compose = readFileSync(new URL("../../docker-compose.yml", import.meta.url), "utf8");
const everyPort = [...Object.values(DEFAULT_PORTS), ...Object.values(DEFAULT_TLS_PORTS)].sort((a, b) => a - b);

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
    const published = [...compose.matchAll(/^\s+- "(\d+):(\d+)"/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
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

/** The compose file's services, each with the text of its block (no YAML parser in the dependencies). */
function services(text: string): Map<string, string> {
  const body = text.slice(text.indexOf("\nservices:\n") + 11, text.indexOf("\nvolumes:\n"));
  const out = new Map<string, string>();
  for (const block of body.split(/^(?= {2}[\w-]+:$)/m)) {
    const m = /^ {2}([\w-]+):$/m.exec(block);
    if (m) out.set(m[1]!, block);
  }
  return out;
}

/** `- ./source:/target[:ro]` volume lines of a block. */
const binds = (block: string) =>
  [...block.matchAll(/^\s+- \.\/([^:]+):([^:\s]+)(?::ro)?\s*$/gm)].map((m) => ({ source: m[1]!, target: m[2]! }));

const repoFile = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("docker-compose.yml monitoring profile", () => {
  const all = services(compose);

  it("leaves the default `docker compose up` as it was: only warren has no profile", () => {
    expect([...all.keys()]).toEqual(["warren", "prometheus", "grafana"]);
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
    for (const file of ["warren-overview.json", "rabbitmq-overview-3.10.8.json"]) {
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
