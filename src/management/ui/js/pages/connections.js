// Connections: every client connection; a name opens the connection's page.
import { api } from "../api.js";
import { $, bytes, esc, href, table } from "../dom.js";

export const clientName = (c) => c.user_provided_name ?? c.client_properties?.product ?? c.client_properties?.client_id ?? "";

export async function mount(el) {
  el.innerHTML = '<div class="card"><h2>Connections</h2><div class="scroll"><table id="connections-table"></table></div></div>';
  return {
    async update() {
      const rows = await api("GET", "connections");
      table(
        $("#connections-table", el),
        [
          { title: "Name", html: (c) => `<a href="${href("connections", c.name)}">${esc(c.name)}</a>`, wrap: true },
          { title: "Client", value: clientName, wrap: true },
          { title: "Protocol", value: (c) => c.protocol },
          { title: "TLS", value: (c) => (c.ssl ? "●" : "○") },
          { title: "User", value: (c) => c.user },
          { title: "Virtual host", value: (c) => c.vhost },
          { title: "Channels", num: true, value: (c) => c.channels },
          { title: "From client", num: true, value: (c) => bytes(c.recv_oct) },
          { title: "To client", num: true, value: (c) => bytes(c.send_oct) },
          { title: "State", html: (c) => `<span class="state-${esc(c.state)}">${esc(c.state)}</span>` },
        ],
        rows,
        "No connections",
        (c) => c.name,
      );
    },
  };
}
