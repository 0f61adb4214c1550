// Builds and runs the JMS scenario programs (java/*.java) with ActiveMQ 5.17's own Java client and
// Spring JMS from Debian (libactivemq-java, libspring-jms-java; compiled with
// openjdk-17-jdk-headless's javac, offline). Without them the scenarios fail, naming the packages:
// they never skip. `bash conformance/activemq.sh deps` installs them.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const HERE = fileURLToPath(new URL(".", import.meta.url));
/**
 * The client and what it needs at run time: the JMS 1.1 API, SLF4J (silenced), hawtbuf, J2EE
 * management; then Spring JMS 4.3 (Debian names its jars spring3-*) with what it loads: core,
 * beans, context, tx (spring3-transaction), aop, expression and commons-logging.
 */
export const JMS_JARS = [
  "activemq-client.jar",
  "geronimo-jms_1.1_spec.jar",
  "slf4j-api.jar",
  "slf4j-nop.jar",
  "hawtbuf.jar",
  "geronimo-j2ee-management-1.1-spec.jar",
  "spring3-jms.jar",
  "spring3-core.jar",
  "spring3-beans.jar",
  "spring3-context.jar",
  "spring3-transaction.jar",
  "spring3-aop.jar",
  "spring3-expression.jar",
  "commons-logging.jar",
].map((j) => join("/usr/share/java", j));

const PACKAGES =
  "libactivemq-java, libgeronimo-jms-1.1-spec-java, libslf4j-java, libhawtbuf-java, libspring-jms-java, libcommons-logging-java and openjdk-17-jdk-headless";

let built: Promise<string> | null = null;

/** A JMS message as the scenario programs print it: its type, body, JMS headers and typed properties. */
export interface Described {
  type: string;
  text?: string;
  bytes?: number[];
  headers: Record<string, string | number | boolean | null>;
  properties: Record<string, { class: string; value: string }>;
}

/** Compiles the scenario programs once per process; the directory of their classes. */
export function buildJms(): Promise<string> {
  built ??= (async () => {
    const missing = JMS_JARS.filter((j) => !existsSync(j));
    if (missing.length > 0 || !existsSync("/usr/bin/javac")) {
      throw new Error(
        `the OpenWire scenarios need ${PACKAGES} (missing: ${[...missing, existsSync("/usr/bin/javac") ? "" : "javac"].filter(Boolean).join(", ")})`,
      );
    }
    const out = mkdtempSync(join(tmpdir(), "warren-jms-"));
    const sources = readdirSync(join(HERE, "java"))
      .filter((f) => f.endsWith(".java"))
      .map((f) => join(HERE, "java", f));
    await run("/usr/bin/javac", ["-d", out, "-cp", JMS_JARS.join(":"), ...sources], { timeout: 120_000 });
    return out;
  })();
  return built;
}

/** Runs `program`'s scenario against `url` and parses the JSON line it prints last. */
export function runJava<T>(program: string, url: string, scenario: string, prefix: string, ...extra: string[]): Promise<T> {
  return runJavaWithin<T>(60_000, program, url, scenario, prefix, ...extra);
}

/** runJava for a scenario that takes up to `ms` (one waiting for a cron minute boundary). */
export async function runJavaWithin<T>(
  ms: number,
  program: string,
  url: string,
  scenario: string,
  prefix: string,
  ...extra: string[]
): Promise<T> {
  const classes = await buildJms();
  const { stdout } = await run("/usr/bin/java", ["-cp", [classes, ...JMS_JARS].join(":"), program, url, scenario, prefix, ...extra], {
    timeout: ms,
  });
  return JSON.parse(stdout.trim().split("\n").pop() ?? "") as T;
}

/** Runs one scenario of java/Jms.java against `url`. */
export function runJms<T>(url: string, scenario: string, prefix: string): Promise<T> {
  return runJava<T>("Jms", url, scenario, prefix);
}

/** A scenario program that prints READY once subscribed, then its JSON result line. */
export interface JavaRun<T> {
  /** Resolves when the program has printed READY. */
  ready: Promise<void>;
  /** Its last output line, parsed; rejects if it fails or takes over `ms`. */
  result: Promise<T>;
}

/** Starts `program` with `args`, for scenarios that act while it waits (publishing to its consumer). */
export function spawnJava<T>(program: string, args: string[], ms = 60_000): JavaRun<T> {
  let readySeen = false;
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const result = (async () => {
    const classes = await buildJms();
    const java = spawn("/usr/bin/java", ["-cp", [classes, ...JMS_JARS].join(":"), program, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    java.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (!readySeen && out.includes("READY\n")) {
        readySeen = true;
        onReady();
      }
    });
    java.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const killer = setTimeout(() => java.kill("SIGKILL"), ms);
    const code = await new Promise<number | null>((resolve) => java.once("close", (c) => resolve(c)));
    clearTimeout(killer);
    if (code !== 0) throw new Error(`${program} ${args.join(" ")} exited ${code}: ${out}${err}`);
    return JSON.parse(out.trim().split("\n").pop() ?? "") as T;
  })();
  // a program that fails before READY must not leave the caller waiting on `ready`
  return { ready: Promise.race([ready, result.then(() => undefined)]), result };
}
