/** Warren's embedding API: `import { startBroker } from "warren"`. */
export { startBroker, ListenerBindError, type RunningBroker, type BrokerPorts } from "./server/start.js";
export type { BrokerOptions } from "./server/options.js";
export * from "./core/index.js";
