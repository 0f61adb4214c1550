import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { closeServer, listenLiveness, probe, probeDead } from "../../src/cluster/liveness.js";
import { freePort } from "./cli-node.js";

describe("liveness probe of a node's replication port", () => {
  it("a listening process is alive; once it stops listening the port refuses", async () => {
    const port = await freePort();
    const server = await listenLiveness(port, "127.0.0.1");
    expect(await probe("127.0.0.1", port, 1000)).toBe("alive");
    // the liveness listener closes what it accepts: a probe costs the leader nothing more
    const ended = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.on("error", () => resolve(false));
      s.on("close", () => resolve(true));
    });
    expect(ended).toBe(true);
    expect(await probeDead("127.0.0.1", port, 1000, 2, 10)).toBe("alive");
    await closeServer(server);
    expect(await probe("127.0.0.1", port, 1000)).toBe("refused");
    expect(await probeDead("127.0.0.1", port, 1000)).toBe("refused");
  });

  it("anything but a refusal is unknown (a partition must not end a term)", async () => {
    // a name that does not resolve stands for a host that cannot be reached
    expect(await probe("no-such-host.invalid", 1, 1000)).toBe("unknown");
  });
});
