// One queue, as RabbitMQ's queue page: details, policy, rates, consumers, bindings, publish, get,
// purge and delete (each destructive one asks first, in RabbitMQ's words).
import { api, seg } from "../api.js";
import { wireArgs } from "../args.js";
import { $, attempt, esc, fieldTable, href, json, kv, num, sparkline, table } from "../dom.js";
import { bindForm, publishForm, renderBindings, wireBind, wirePublish, wireUnbind } from "../forms.js";

export const PURGE_QUESTION = "Are you sure? Messages cannot be recovered after purging.";
export const DELETE_QUESTION = "Are you sure? The queue is going to be deleted. Messages cannot be recovered after deletion.";
const SERIES = [
  ["Publish", "#d9480f", "publish_details"],
  ["Deliver / get", "#1971c2", "deliver_get_details"],
  ["Ack", "#2b8a3e", "ack_details"],
  ["Redelivered", "#862e9c", "redeliver_details"],
];

export async function mount(el, [vhost, name], ctx) {
  const path = `queues/${seg(vhost)}/${seg(name)}`;
  el.innerHTML = `
    <h2 class="page-title">Queue <b id="queue-title">${esc(name)}</b> <small>in virtual host ${esc(vhost)}</small></h2>
    <div class="card"><h2>Details</h2><div id="queue-details" class="columns"></div></div>
    <div class="card"><h2>Message rates</h2><div id="queue-rates"></div></div>
    <div class="card"><h2>Consumers</h2><div class="scroll"><table id="consumers-table"></table></div></div>
    <div class="card"><h2>Bindings</h2><div class="scroll"><table id="bindings-table"></table></div>
      <h3>Add binding to this queue</h3>${bindForm("queue")}</div>
    ${publishForm(name)}
    <div class="card"><h2>Get messages</h2>
      <p class="muted">Warning: getting messages from a queue is a destructive action.</p>
      <form id="get-form" class="grid">
        <label>Ack mode <select name="ackmode">
          <option value="ack_requeue_true">Nack message requeue true</option>
          <option value="ack_requeue_false">Automatic ack</option>
          <option value="reject_requeue_true">Reject requeue true</option>
          <option value="reject_requeue_false">Reject requeue false</option>
        </select></label>
        <label>Encoding <select name="encoding"><option value="auto">Auto string / base64</option><option value="base64">base64</option></select></label>
        <label>Messages <input name="count" type="number" value="1" min="1"></label>
        <button type="submit">Get message(s)</button>
      </form>
      <div id="get-result"></div>
    </div>
    <div class="card danger-zone">
      <h2>Purge</h2><button type="button" id="purge">Purge messages</button> <span class="result" id="purge-result" role="status"></span>
      <h2>Delete</h2><button type="button" class="danger" id="delete-queue">Delete queue</button> <span class="result" id="delete-result" role="status"></span>
    </div>`;
  wireArgs(el);
  wireBind(el, ctx, vhost, name, "queue");
  wireUnbind(el, ctx, $("#bind-result", el));
  wirePublish(el, vhost, "", name);

  $("#get-form", el).addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const out = $("#get-result", el);
    try {
      const msgs = await api("POST", `${path}/get`, { count: Number(f.get("count")), ackmode: f.get("ackmode"), encoding: f.get("encoding"), truncate: 50000 });
      out.innerHTML =
        msgs.length === 0
          ? '<p class="empty">Queue is empty</p>'
          : msgs
              .map(
                (m, i) => `<div class="message"><h3>Message ${i + 1}</h3>${kv([
                  ["Exchange", m.exchange || "(AMQP default)"],
                  ["Routing key", m.routing_key],
                  ["Redelivered", String(m.redelivered)],
                  ["Remaining messages", num(m.message_count)],
                  ["Properties", { html: fieldTable(m.properties) }],
                  [`Payload (${num(m.payload_bytes)} bytes, encoding: ${m.payload_encoding})`, { html: `<pre class="payload">${esc(m.payload)}</pre>` }],
                ])}</div>`,
              )
              .join("");
      await ctx.refresh();
    } catch (err) {
      out.innerHTML = `<p class="error">${esc(err.message)}</p>`;
    }
  });

  $("#purge", el).addEventListener("click", async () => {
    if (!confirm(PURGE_QUESTION)) return;
    await attempt($("#purge-result", el), () => api("DELETE", `${path}/contents`), "Queue purged.");
    await ctx.refresh();
  });
  $("#delete-queue", el).addEventListener("click", async () => {
    if (!confirm(DELETE_QUESTION)) return;
    if (await attempt($("#delete-result", el), () => api("DELETE", path), "Queue deleted.")) ctx.go("#/queues");
  });

  const history = SERIES.map(() => []);
  const keep = Math.ceil(300000 / ctx.refreshMs);
  return {
    async update() {
      const [q, bindings] = await Promise.all([api("GET", path), api("GET", `${path}/bindings`)]);
      $("#queue-details", el).innerHTML =
        kv([
          ["Type", q.type],
          ["Features", [q.durable && "durable", q.auto_delete && "auto-delete", q.exclusive && "exclusive"].filter(Boolean).join(", ") || "none"],
          ["State", q.state],
          ["Node", q.node],
          ["Policy", q.policy ?? ""],
          ["Operator policy", q.operator_policy ?? ""],
          ["Effective policy definition", { html: fieldTable(q.effective_policy_definition) }],
          ["Arguments", { html: fieldTable(q.arguments) }],
        ]) +
        kv([
          ["Ready", num(q.messages_ready)],
          ["Unacked", num(q.messages_unacknowledged)],
          ["Total", num(q.messages)],
          ["Paged out", num(q.messages_paged_out ?? 0)],
          ["Consumers", num(q.consumers)],
          ["Exclusive consumer", q.exclusive_consumer_tag ?? ""],
        ]);
      SERIES.forEach(([, , key], i) => {
        history[i].push(q.message_stats?.[key]?.rate ?? 0);
        if (history[i].length > keep) history[i].shift();
      });
      $("#queue-rates", el).innerHTML = sparkline(SERIES.map(([label, colour], i) => [label, colour, history[i]]));
      table(
        $("#consumers-table", el),
        [
          { title: "Channel", html: (c) => (c.channel_details?.name ? `<a href="${href("channels", c.channel_details.name)}">${esc(c.channel_details.name)}</a>` : ""), wrap: true },
          { title: "Consumer tag", value: (c) => c.consumer_tag, wrap: true },
          { title: "Ack required", value: (c) => (c.ack_required ? "yes" : "no") },
          { title: "Exclusive", value: (c) => (c.exclusive ? "yes" : "no") },
          { title: "Prefetch count", num: true, value: (c) => c.prefetch_count },
          { title: "Arguments", value: (c) => json(c.arguments ?? {}) },
        ],
        q.consumer_details ?? [],
        "No consumers",
        (c) => c.consumer_tag,
      );
      renderBindings($("#bindings-table", el), bindings, "queue");
    },
  };
}
