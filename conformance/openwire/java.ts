// Builds and runs the JMS scenario program (java/Jms.java) with ActiveMQ 5.17's own Java client
// from Debian (libactivemq-java, compiled with openjdk-17-jdk-headless's javac, offline). Without
// them the scenarios fail, naming the packages: they never skip.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const HERE = fileURLToPath(new URL(".", import.meta.url));
/** The client and what it needs at run time: the JMS 1.1 API, SLF4J (silenced), hawtbuf, J2EE management. */
const JARS = [
  "activemq-client.jar",
  "geronimo-jms_1.1_spec.jar",
  "slf4j-api.jar",
  "slf4j-nop.jar",
  "hawtbuf.jar",
  "geronimo-j2ee-management-1.1-spec.jar",
].map((j) => join("/usr/share/java", j));

let built: Promise<string> | null = null;

/** Compiles Jms.java once per process; the directory of its classes. */
export function buildJms(): Promise<string> {
  built ??= (async () => {
    const missing = JARS.filter((j) => !existsSync(j));
    if (missing.length > 0 || !existsSync("/usr/bin/javac")) {
      throw new Error(
        `the OpenWire scenarios need libactivemq-java, libgeronimo-jms-1.1-spec-java, libslf4j-java, libhawtbuf-java and openjdk-17-jdk-headless (missing: ${[...missing, existsSync("/usr/bin/javac") ? "" : "javac"].filter(Boolean).join(", ")})`,
      );
    }
    const out = mkdtempSync(join(tmpdir(), "warren-jms-"));
    await run("/usr/bin/javac", ["-d", out, "-cp", JARS.join(":"), join(HERE, "java/Jms.java")], { timeout: 120_000 });
    return out;
  })();
  return built;
}

/** Runs one scenario against `url` and parses the JSON line it prints. */
export async function runJms<T>(url: string, scenario: string, prefix: string): Promise<T> {
  const classes = await buildJms();
  const { stdout } = await run("/usr/bin/java", ["-cp", [classes, ...JARS].join(":"), "Jms", url, scenario, prefix], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split("\n").pop() ?? "") as T;
}
