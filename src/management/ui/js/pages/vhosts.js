// Virtual hosts: the list and the add form (description, tags, default queue type).
import { api, seg } from "../api.js";
import { $, attempt, badge, esc, href, num, table } from "../dom.js";

export async function mount(el, _args, ctx) {
  el.innerHTML = `
    <div class="card"><h2>Virtual hosts</h2><div class="scroll"><table id="vhosts-table"></table></div></div>
    <div class="card"><h2>Add a new virtual host</h2>
      <form id="add-vhost-form" class="grid">
        <label>Name <input name="name" required></label>
        <label>Description <input name="description"></label>
        <label>Tags <input name="tags" placeholder="production, eu"></label>
        <label>Default queue type <select name="default_queue_type"><option value="">(none)</option><option>classic</option><option>quorum</option><option>stream</option></select></label>
        <button type="submit">Add virtual host</button>
        <p class="result" id="add-vhost-result" role="status"></p>
      </form></div>`;
  $("#add-vhost-form", el).addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = { description: f.get("description"), tags: f.get("tags") };
    if (f.get("default_queue_type")) body.default_queue_type = f.get("default_queue_type");
    const ok = await attempt($("#add-vhost-result", el), () => api("PUT", `vhosts/${seg(f.get("name"))}`, body), `Virtual host ${f.get("name")} added.`);
    if (ok) {
      ctx.vhostsChanged();
      await ctx.refresh();
    }
  });
  return {
    async update() {
      table(
        $("#vhosts-table", el),
        [
          { title: "Name", html: (v) => `<a href="${href("vhosts", v.name)}">${esc(v.name)}</a>`, wrap: true },
          { title: "Description", value: (v) => v.description ?? "", wrap: true },
          { title: "Tags", html: (v) => (v.tags ?? []).map((t) => badge(t)).join("") },
          { title: "Default queue type", value: (v) => (v.default_queue_type === "undefined" ? "" : v.default_queue_type ?? "") },
          { title: "Ready", num: true, value: (v) => num(v.messages_ready) },
          { title: "Unacked", num: true, value: (v) => num(v.messages_unacknowledged) },
          { title: "Total", num: true, value: (v) => num(v.messages) },
        ],
        await api("GET", "vhosts"),
        "No virtual hosts",
        (v) => v.name,
      );
    },
  };
}
