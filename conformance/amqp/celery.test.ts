// A Celery 5 worker and client round trip through the broker under test: kombu declares its
// exchange and queue, the worker consumes with prefetch and acks late, and the result comes back
// over the rpc:// backend (reply_to queue via the default exchange).

import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { conformanceSuite, PYTHON, PYTHON_DIR, PythonProcess, withTimeout } from "./helpers.js";

const suite = conformanceSuite();

describe("celery", () => {
  it("a worker computes add.delay(2, 3) and the client reads 5 from the rpc:// backend", async () => {
    const queue = suite.queueName("celery");
    suite.cleanupExchange(queue); // celery_app names its exchange after its queue
    const env = { ...process.env, WARREN_URL: suite.url, CELERY_QUEUE: queue, PYTHONDONTWRITEBYTECODE: "1" };
    const worker = suite.track(
      new PythonProcess(
        spawn(
          PYTHON,
          [
            "-m",
            "celery",
            "-A",
            "celery_app",
            "worker",
            "--pool=solo",
            "-c",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            queue,
            "--loglevel=WARNING",
          ],
          { cwd: PYTHON_DIR, env, stdio: ["ignore", "pipe", "pipe"] },
        ),
        "celery worker",
      ),
    );
    const client = spawn(PYTHON, ["-u", "celery_client.py"], { cwd: PYTHON_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
    const result = await new PythonProcess(client, "celery_client.py")
      .result<{ result: number; state: string }>(45_000)
      .catch((e: Error) => {
        throw new Error(`${e.message}\nworker stderr: ${worker.stderrText}`);
      });
    expect(result).toMatchObject({ result: 5, state: "SUCCESS" });
    worker.kill("SIGTERM");
    const code = await withTimeout(worker.exited, 15_000, "the celery worker to shut down");
    expect(code).toBe(0);
  }, 60_000);
});
