// One virtual host: its metadata, who may use it (permissions, topic permissions), delete.
import { api, seg } from "../api.js";
import { $, attempt, esc, kv, num } from "../dom.js";
import { accessCards, updateAccess, wireAccess } from "./access.js";

export async function mount(el, [name], ctx) {
  const users = (await api("GET", "users")).map((u) => u.name);
  el.innerHTML = `
    <h2 class="page-title">Virtual host <b id="vhost-title">${esc(name)}</b></h2>
    <div class="card"><h2>Details</h2><div id="vhost-details"></div></div>
    ${accessCards({ vhost: name }, users)}
    <div class="card danger-zone"><h2>Delete this virtual host</h2><button type="button" class="danger" id="delete-vhost">Delete this virtual host</button> <span class="result" id="delete-result" role="status"></span></div>`;
  wireAccess(el, ctx, { vhost: name });
  $("#delete-vhost", el).addEventListener("click", async () => {
    if (!confirm("Are you sure? This object cannot be recovered after deletion.")) return;
    if (await attempt($("#delete-result", el), () => api("DELETE", `vhosts/${seg(name)}`), "Virtual host deleted.")) {
      ctx.vhostsChanged();
      ctx.go("#/vhosts");
    }
  });
  return {
    async update() {
      const v = await api("GET", `vhosts/${seg(name)}`);
      $("#vhost-details", el).innerHTML = kv([
        ["Description", v.description ?? ""],
        ["Tags", (v.tags ?? []).join(", ")],
        ["Default queue type", v.default_queue_type === "undefined" ? "" : v.default_queue_type ?? ""],
        ["Messages ready", num(v.messages_ready)],
        ["Messages unacknowledged", num(v.messages_unacknowledged)],
      ]);
      await updateAccess(el, { vhost: name });
    },
  };
}
