// Forms two pages share: publishing a message (exchange and queue pages) and the bindings of an
// exchange or a queue, with add and remove.
import { api, seg } from "./api.js";
import { argsEditor, readArgs } from "./args.js";
import { $, attempt, esc, fieldTable, href, table } from "./dom.js";

/** The publish form; `fixed` names a fixed routing key (the queue page publishes to the queue). */
export function publishForm(fixed) {
  return `<div class="card"><h2>Publish message</h2>
    <form id="publish-form" class="grid">
      ${fixed === undefined ? '<label>Routing key <input name="routing_key"></label>' : `<p class="muted">Published to the default exchange with routing key <b>${esc(fixed)}</b>, routing it to this queue.</p>`}
      <label>Delivery mode <select name="delivery_mode"><option value="1">1 - Non-persistent</option><option value="2">2 - Persistent</option></select></label>
      <fieldset><legend>Headers</legend>${argsEditor()}</fieldset>
      <label>Properties <input name="properties" size="40" placeholder='{"content_type": "text/plain"}'></label>
      <label class="wide">Payload <textarea name="payload" rows="3"></textarea></label>
      <label>Payload encoding <select name="payload_encoding"><option value="string">String (default)</option><option value="base64">Base64</option></select></label>
      <button type="submit">Publish message</button>
      <p class="result" id="publish-result" role="status"></p>
    </form></div>`;
}

export function wirePublish(el, vhost, exchange, fixed) {
  $("#publish-form", el).addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target;
    const f = new FormData(form);
    await attempt(
      $("#publish-result", el),
      async () => {
        let extra = {};
        if (f.get("properties")) {
          try {
            extra = JSON.parse(f.get("properties"));
          } catch {
            throw new Error("Properties must be a JSON object");
          }
        }
        const headers = readArgs(form);
        return api("POST", `exchanges/${seg(vhost)}/${seg(exchange === "" ? "amq.default" : exchange)}/publish`, {
          routing_key: fixed ?? f.get("routing_key"),
          payload: f.get("payload"),
          payload_encoding: f.get("payload_encoding"),
          properties: { ...extra, delivery_mode: Number(f.get("delivery_mode")), ...(Object.keys(headers).length > 0 && { headers }) },
        });
      },
      (r) => (r.routed ? "Message published." : "Message published, but not routed."),
    );
  });
}

/**
 * The bindings card of a queue (`side` "queue": where it is the destination) or an exchange
 * ("source": bindings from it, "destination": bindings to it). Removable ones carry a button.
 */
export function renderBindings(tableEl, rows, side) {
  const from = (b) => (b.source === "" ? "(AMQP default)" : `<a href="${href("exchanges", b.vhost, b.source)}">${esc(b.source)}</a>`);
  const to = (b) => `<a href="${href(b.destination_type === "queue" ? "queues" : "exchanges", b.vhost, b.destination)}">${esc(b.destination)}</a>`;
  const columns = [
    side === "source"
      ? { title: "To", html: (b) => `${to(b)} <small class="muted">${esc(b.destination_type)}</small>`, wrap: true }
      : { title: "From", html: from, wrap: true },
    { title: "Routing key", value: (b) => b.routing_key, wrap: true },
    { title: "Arguments", html: (b) => fieldTable(b.arguments) },
    {
      title: "",
      html: (b) =>
        b.source === ""
          ? ""
          : `<button type="button" class="small danger" data-unbind="${esc(JSON.stringify([b.vhost, b.source, b.destination_type, b.destination, b.properties_key]))}">Unbind</button>`,
    },
  ];
  table(tableEl, columns, rows, "No bindings", (b) => `${b.source}|${b.destination}|${b.routing_key}`);
}

/** Handles the Unbind buttons under `el`. */
export function wireUnbind(el, ctx, resultEl) {
  el.addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-unbind]");
    if (!b) return;
    const [vhost, source, type, destination, key] = JSON.parse(b.dataset.unbind);
    const t = type === "queue" ? "q" : "e";
    await attempt(resultEl, () => api("DELETE", `bindings/${seg(vhost)}/e/${seg(source)}/${t}/${seg(destination)}/${seg(key)}`), "Binding removed.");
    await ctx.refresh();
  });
}

/** The add-binding form: `side` "queue" (from an exchange to this queue) or "source" (from this exchange). */
export function bindForm(side) {
  return `<form id="bind-form" class="grid">
    ${
      side === "queue"
        ? '<label>From exchange <input name="source" required></label>'
        : '<label>To <select name="destination_type"><option value="q">Queue</option><option value="e">Exchange</option></select></label><label>Name <input name="destination" required></label>'
    }
    <label>Routing key <input name="routing_key"></label>
    <fieldset><legend>Arguments</legend>${argsEditor()}</fieldset>
    <button type="submit">Bind</button>
    <p class="result" id="bind-result" role="status"></p>
  </form>`;
}

export function wireBind(el, ctx, vhost, name, side) {
  $("#bind-form", el).addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target;
    const f = new FormData(form);
    const path =
      side === "queue"
        ? `bindings/${seg(vhost)}/e/${seg(f.get("source"))}/q/${seg(name)}`
        : `bindings/${seg(vhost)}/e/${seg(name)}/${f.get("destination_type")}/${seg(f.get("destination"))}`;
    const ok = await attempt($("#bind-result", el), () => api("POST", path, { routing_key: f.get("routing_key"), arguments: readArgs(form) }), "Binding added.");
    if (ok) await ctx.refresh();
  });
}
