/**
 * The CLI's listeners that are on by default (`npm start` opens every one), by flag. Tests and
 * benches that spawn the CLI open the ones they need and pass "off" for the rest through
 * `listenerArgs`, so a listener added to the defaults is added here once, not in every caller
 * (test/server/cli-listeners.test.ts fails until it is).
 */
export const DEFAULT_LISTENERS = Object.freeze({
  amqp: "--amqp-port",
  mqtt: "--mqtt-port",
  stomp: "--stomp-port",
  openwire: "--openwire-port",
  webMqtt: "--web-mqtt-port",
  webStomp: "--web-stomp-port",
  management: "--management-port",
  prometheus: "--prometheus-port",
});

/** CLI arguments opening only the listeners given (name → port or host:port); every other default listener off. */
export function listenerArgs(open = {}) {
  const args = [];
  for (const [name, flag] of Object.entries(DEFAULT_LISTENERS)) args.push(flag, open[name] === undefined ? "off" : String(open[name]));
  return args;
}
