// What a read costs a server, Node's `data` events against src/transport/socket-reads.ts's shared
// buffer: a client process and a server process play ping-pong over loopback, one 64-byte write
// each way per round, so every round is exactly one read and one write on the server. Reported:
// the server's CPU (user + system, its own process.cpuUsage) per round, medians of the rounds,
// the two ways interleaved.
//
//   npx tsx bench/micro/socket-reads.mjs [--rounds 7] [--pings 50000]
import { fork } from "node:child_process";
import { connect, createServer } from "node:net";
import { once } from "node:events";
import { loadavg } from "node:os";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? dflt : Number(argv[i + 1]);
};

if (process.env.SOCKET_READS_SERVER !== undefined) {
  const mode = process.env.SOCKET_READS_SERVER;
  const { readSocket, readsThroughSharedBuffer } = await import("../../src/transport/socket-reads.ts");
  const pong = Buffer.alloc(64, 1);
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    let start = null;
    const onData = (chunk) => {
      if (chunk[0] === 0x21) {
        // "!": the client starts its clock
        start = process.cpuUsage();
      } else if (chunk[0] === 0x2e) {
        // ".": done
        const used = process.cpuUsage(start);
        process.send({ cpuUs: used.user + used.system });
        socket.end();
        server.close();
        return;
      }
      socket.write(pong);
    };
    if (mode === "data") socket.on("data", onData);
    else if (!readsThroughSharedBuffer(readSocket(socket, onData))) throw new Error("not read through the shared buffer");
  });
  server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
} else {
  const rounds = opt("rounds", 7);
  const pings = opt("pings", 50_000);
  const ping = Buffer.alloc(64, 0x41);
  const once1 = async (mode) => {
    const child = fork(new URL(import.meta.url).pathname, [], {
      env: { ...process.env, SOCKET_READS_SERVER: mode },
      execArgv: ["--import", "tsx"],
    });
    const [{ port }] = await once(child, "message");
    const c = connect(port, "127.0.0.1");
    c.setNoDelay(true);
    await once(c, "connect");
    let left = pings;
    const done = new Promise((resolve) => {
      c.on("data", () => {
        if (--left > 0) c.write(ping);
        else resolve();
      });
    });
    // warm up, then the measured pings
    for (let i = 0; i < 2000; i++) {
      c.write(ping);
      await once(c, "data");
    }
    c.write(Buffer.from("!"));
    await once(c, "data");
    c.write(ping);
    await done;
    c.write(Buffer.from("."));
    const [{ cpuUs }] = await once(child, "message");
    c.destroy();
    await once(child, "exit");
    return cpuUs / pings;
  };
  const results = { data: [], shared: [] };
  const load = loadavg()[0];
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? ["data", "shared"] : ["shared", "data"]) results[mode].push(await once1(mode));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];
  console.log(`socket reads, ${pings} ping-pongs of 64 bytes, ${rounds} rounds, load ${load.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
  for (const mode of ["data", "shared"]) {
    console.log(
      `${mode.padEnd(7)} server CPU per read+write: median ${median(results[mode]).toFixed(2)} us  (${results[mode].map((x) => x.toFixed(2)).join(" ")})`,
    );
  }
  console.log(`shared / data: ${(median(results.shared) / median(results.data)).toFixed(3)}`);
}
