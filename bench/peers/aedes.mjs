// aedes (npm) as a peer broker for the MQTT benchmarks: `node bench/peers/aedes.mjs PORT`.
// Its defaults, in-memory persistence, TCP only; started by bench/run.mjs as a cmd= target so
// its CPU and RSS are measured like any other broker's.
import net from "node:net";
import { Aedes } from "aedes";

const port = Number(process.argv[2] ?? 26413);
const aedes = await Aedes.createBroker();
const server = net.createServer(aedes.handle);
server.listen(port, "127.0.0.1", () => console.log(`aedes listening on port ${port}`));
const stop = () => server.close(() => aedes.close(() => process.exit(0)));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
