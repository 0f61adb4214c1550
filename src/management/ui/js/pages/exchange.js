// One exchange: details, bindings from it and to it (add and remove), publish, delete.
import { api, seg } from "../api.js";
import { wireArgs } from "../args.js";
import { $, attempt, esc, fieldTable, kv } from "../dom.js";
import { bindForm, publishForm, renderBindings, wireBind, wirePublish, wireUnbind } from "../forms.js";
import { displayName } from "./exchanges.js";

export async function mount(el, [vhost, urlName], ctx) {
  // the default exchange is "amq.default" in URLs, as in RabbitMQ's
  const name = urlName === "amq.default" ? "" : urlName;
  const path = `exchanges/${seg(vhost)}/${seg(urlName)}`;
  const builtIn = name === "" || name.startsWith("amq.");
  el.innerHTML = `
    <h2 class="page-title">Exchange <b id="exchange-title">${esc(displayName(name))}</b> <small>in virtual host ${esc(vhost)}</small></h2>
    <div class="card"><h2>Details</h2><div id="exchange-details"></div></div>
    <div class="card"><h2>Bindings from this exchange</h2><div class="scroll"><table id="source-bindings"></table></div>
      ${name === "" ? "" : `<h3>Add binding from this exchange</h3>${bindForm("source")}`}</div>
    <div class="card"><h2>Bindings to this exchange</h2><div class="scroll"><table id="destination-bindings"></table></div></div>
    ${publishForm()}
    ${builtIn ? "" : '<div class="card danger-zone"><h2>Delete this exchange</h2><button type="button" class="danger" id="delete-exchange">Delete</button> <span class="result" id="delete-result" role="status"></span></div>'}`;
  wireArgs(el);
  if (name !== "") wireBind(el, ctx, vhost, name, "source");
  wireUnbind(el, ctx, $("#bind-result", el) ?? $("#publish-result", el));
  wirePublish(el, vhost, name);
  $("#delete-exchange", el)?.addEventListener("click", async () => {
    if (!confirm("Are you sure? This object cannot be recovered after deletion.")) return;
    if (await attempt($("#delete-result", el), () => api("DELETE", path), "Exchange deleted.")) ctx.go("#/exchanges");
  });

  return {
    async update() {
      const [x, from, to] = await Promise.all([
        api("GET", path),
        name === "" ? Promise.resolve([]) : api("GET", `${path}/bindings/source`),
        name === "" ? Promise.resolve([]) : api("GET", `${path}/bindings/destination`),
      ]);
      $("#exchange-details", el).innerHTML = kv([
        ["Type", x.type],
        ["Features", [x.durable && "durable", x.auto_delete && "auto-delete", x.internal && "internal"].filter(Boolean).join(", ") || "none"],
        ["Policy", x.policy ?? ""],
        ["Arguments", { html: fieldTable(x.arguments) }],
      ]);
      renderBindings($("#source-bindings", el), from, "source");
      renderBindings($("#destination-bindings", el), to, "destination");
    },
  };
}
