// Builds and runs the Go client scenarios (rabbitmq/amqp091-go from Debian's
// golang-github-rabbitmq-amqp091-go-dev). GOPATH mode over /usr/share/gocode: no module download,
// no network, so it works offline; `bash conformance/rabbitmq.sh deps` installs Go and the client.
//
// These scenarios are not part of `npm test` (the root vitest config leaves conformance/go out, so
// a machine with only Node and npm needs no Go); .ci/run runs them against the embedded Warren
// (`npm run conformance -- conformance/go`) and against RabbitMQ with the other scenarios. Without
// Go they fail, naming the packages to install: they never skip.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const GOCODE = "/usr/share/gocode";
const CLIENT = join(GOCODE, "src/github.com/rabbitmq/amqp091-go");
const HERE = fileURLToPath(new URL(".", import.meta.url));

/** The environment of an offline GOPATH build against Debian's Go packages. */
function goEnv(cache: string): NodeJS.ProcessEnv {
  return { ...process.env, GO111MODULE: "off", GOPATH: GOCODE, GOFLAGS: "", GOPROXY: "off", GOCACHE: cache, CGO_ENABLED: "0" };
}

/** Builds conformance/go/<program> and returns the binary's path. */
export async function buildGoProgram(program: string): Promise<string> {
  const missing: string[] = [];
  const go = ["/usr/bin/go", "/usr/lib/go/bin/go"].find((p) => existsSync(p));
  if (!go) missing.push("golang-go");
  if (!existsSync(CLIENT)) missing.push("golang-github-rabbitmq-amqp091-go-dev");
  if (missing.length > 0 || !go) {
    throw new Error(
      `the Go client scenarios need ${missing.join(" ")}: apt-get install -y ${missing.join(" ")} (or bash conformance/rabbitmq.sh deps)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "warren-go-"));
  const out = join(dir, program);
  // one build cache for every run (Go's cache is safe to share): later builds take a second
  await run(go, ["build", "-o", out, `./${program}`], { cwd: HERE, env: goEnv(join(tmpdir(), "warren-go-cache")), timeout: 240_000 });
  return out;
}

/** Runs a built program with arguments and parses the one JSON line it prints. */
export async function runGoProgram<T>(binary: string, args: string[], timeoutMs = 60_000): Promise<T> {
  const { stdout } = await run(binary, args, { timeout: timeoutMs });
  return JSON.parse(stdout.trim().split("\n").pop() ?? "") as T;
}
