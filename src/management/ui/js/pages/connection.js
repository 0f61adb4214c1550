// One connection: details, client properties, TLS, its channels, and closing it with a reason.
import { api, seg } from "../api.js";
import { $, attempt, bytes, esc, fieldTable, kv, num, table } from "../dom.js";
import { channelColumns } from "./channels.js";
import { clientName } from "./connections.js";

export async function mount(el, [name], ctx) {
  const path = `connections/${seg(name)}`;
  el.innerHTML = `
    <h2 class="page-title">Connection <b id="connection-title">${esc(name)}</b></h2>
    <div class="card"><h2>Details</h2><div id="connection-details" class="columns"></div></div>
    <div class="card"><h2>Channels</h2><div class="scroll"><table id="connection-channels"></table></div></div>
    <div class="card"><h2>Client properties</h2><div id="client-properties"></div></div>
    <div class="card"><h2>Security</h2><div id="tls-details"></div></div>
    <div class="card danger-zone"><h2>Close this connection</h2>
      <form id="close-form" class="grid">
        <label>Reason <input name="reason" value="Closed via management plugin" size="40"></label>
        <button type="submit" class="danger">Force close</button>
        <p class="result" id="close-result" role="status"></p>
      </form></div>`;
  $("#close-form", el).addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = new FormData(e.target).get("reason");
    if (!confirm(`Close connection ${name}?`)) return;
    await attempt($("#close-result", el), () => api("DELETE", path, undefined, reason ? { "x-reason": reason } : {}), "Connection closed.");
  });

  return {
    async update() {
      let c;
      try {
        c = await api("GET", path);
      } catch (err) {
        if (err.status !== 404) throw err;
        $("#connection-details", el).innerHTML = '<p class="empty">This connection is closed.</p>';
        return;
      }
      const channels = await api("GET", `${path}/channels`);
      $("#connection-details", el).innerHTML =
        kv([
          ["Client", clientName(c)],
          ["User", c.user],
          ["Virtual host", c.vhost],
          ["Protocol", c.protocol],
          ["Authentication", c.auth_mechanism],
          ["Connected at", new Date(c.connected_at).toLocaleString()],
          ["State", c.state],
        ]) +
        kv([
          ["Client address", `${c.peer_host}:${c.peer_port}`],
          ["Server address", `${c.host}:${c.port}`],
          ["Heartbeat", `${num(c.timeout)} s`],
          ["Frame max", num(c.frame_max)],
          ["Channel max", num(c.channel_max)],
          ["Received", bytes(c.recv_oct)],
          ["Sent", bytes(c.send_oct)],
        ]);
      table($("#connection-channels", el), channelColumns(false), channels, "No channels", (ch) => ch.name);
      const { capabilities, ...props } = c.client_properties ?? {};
      $("#client-properties", el).innerHTML = fieldTable(props) + (capabilities ? `<h3>Capabilities</h3>${fieldTable(capabilities)}` : "");
      $("#tls-details", el).innerHTML = c.ssl
        ? kv([
            ["TLS", "yes"],
            ["Protocol", c.ssl_protocol],
            ["Key exchange", c.ssl_key_exchange],
            ["Cipher", c.ssl_cipher],
            ["Hash", c.ssl_hash],
            ["Peer certificate subject", c.peer_cert_subject ?? "none"],
            ["Peer certificate issuer", c.peer_cert_issuer ?? "none"],
            ["Peer certificate validity", c.peer_cert_validity ?? "none"],
          ])
        : kv([["TLS", "no"]]);
    },
  };
}
