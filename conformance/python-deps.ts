// vitest globalSetup: the Python scenarios (pika, Celery, stomp.py, paho-mqtt, Qpid Proton) and mosquitto-clients run under Debian's /usr/bin/python3,
// and the cluster tests (test/cluster) start Debian's etcd. On a fresh machine the tests install what they need themselves, as they do
// their ports and brokers.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const PYTHON = "/usr/bin/python3";
const PACKAGES: Record<string, string> = {
  pika: "python3-pika",
  celery: "python3-celery",
  stomp: "python3-stomp",
  "paho.mqtt.client": "python3-paho-mqtt",
  proton: "python3-qpid-proton",
};

const canImport = (module: string) => spawnSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" }).status === 0;

export default function ensurePythonClients(): void {
  const missing = Object.keys(PACKAGES).filter((m) => !existsSync(PYTHON) || !canImport(m));
  const packages = missing.map((m) => PACKAGES[m]!);
  // the MQTT scenarios also drive mosquitto_pub / mosquitto_sub
  if (!existsSync("/usr/bin/mosquitto_pub")) packages.push("mosquitto-clients");
  // the cluster tests elect their leader through a real etcd
  if (spawnSync("etcd", ["--version"], { stdio: "ignore" }).status !== 0) packages.push("etcd-server");
  if (packages.length === 0) return;
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    throw new Error(
      `the Python conformance scenarios and the cluster tests need ${packages.join(" ")}: apt-get install -y ${packages.join(" ")}`,
    );
  }
  console.error(`installing ${packages.join(" ")} for the Python conformance scenarios and the cluster tests`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages, "python3"], { stdio: "inherit", env });
}
