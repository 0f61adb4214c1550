// The floor for bench/startup-ab.mjs: a bare node listening on the eight ports it watches
// (PORT_BASE, default 27650, to +7), nothing else loaded.
const net = require("node:net");
const base = Number(process.env.PORT_BASE ?? 27650);
for (let i = 0; i < 8; i++) net.createServer().listen(base + i);
