// Exchanges: the list (a name opens the exchange's page) and the declare-exchange form.
import { api, seg } from "../api.js";
import { argsEditor, EXCHANGE_HELPERS, readArgs, wireArgs } from "../args.js";
import { $, attempt, badge, esc, href, table } from "../dom.js";

export const displayName = (name) => (name === "" ? "(AMQP default)" : name);

export async function mount(el, _args, ctx) {
  const vhosts = await ctx.vhosts();
  el.innerHTML = `
    <div class="card"><h2>Exchanges</h2><div class="scroll"><table id="exchanges-table"></table></div></div>
    <div class="card">
      <h2>Add a new exchange</h2>
      <form id="add-exchange-form" class="grid">
        <label>Virtual host <select name="vhost">${vhosts.map((v) => `<option>${esc(v)}</option>`).join("")}</select></label>
        <label>Name <input name="name" required></label>
        <label>Type <select name="type"><option>direct</option><option>fanout</option><option>headers</option><option>topic</option><option>x-delayed-message</option></select></label>
        <label>Durability <select name="durable"><option value="true">Durable</option><option value="false">Transient</option></select></label>
        <label>Auto delete <select name="auto_delete"><option value="false">No</option><option value="true">Yes</option></select></label>
        <label>Internal <select name="internal"><option value="false">No</option><option value="true">Yes</option></select></label>
        <fieldset><legend>Arguments</legend>${argsEditor([...EXCHANGE_HELPERS, ["Delayed type", "x-delayed-type", "string", "direct"]])}</fieldset>
        <button type="submit">Add exchange</button>
        <p class="result" id="add-exchange-result" role="status"></p>
      </form>
    </div>`;
  const form = $("#add-exchange-form", el);
  wireArgs(form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const ok = await attempt(
      $("#add-exchange-result", el),
      () =>
        api("PUT", `exchanges/${seg(f.get("vhost"))}/${seg(f.get("name"))}`, {
          type: f.get("type"),
          durable: f.get("durable") === "true",
          auto_delete: f.get("auto_delete") === "true",
          internal: f.get("internal") === "true",
          arguments: readArgs(form),
        }),
      `Exchange ${f.get("name")} declared.`,
    );
    if (ok) await ctx.refresh();
  });

  return {
    async update() {
      const rows = await api("GET", "exchanges");
      table(
        $("#exchanges-table", el),
        [
          ...(vhosts.length > 1 ? [{ title: "Virtual host", value: (x) => x.vhost, wrap: true }] : []),
          { title: "Name", html: (x) => `<a href="${href("exchanges", x.vhost, x.name === "" ? "amq.default" : x.name)}">${esc(displayName(x.name))}</a>`, wrap: true },
          { title: "Type", value: (x) => x.type },
          { title: "Features", html: (x) => `${badge("D", x.durable)}${badge("AD", x.auto_delete)}${badge("I", x.internal)}${badge("Args", Object.keys(x.arguments ?? {}).length > 0)}` },
        ],
        rows,
        "No exchanges",
        (x) => `${x.vhost}|${x.name}`,
      );
    },
  };
}
