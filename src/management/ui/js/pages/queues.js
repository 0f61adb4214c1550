// Queues: the list (a queue's name opens its page) and the add-queue form with RabbitMQ's typed
// argument helpers for the chosen queue type.
import { api, seg } from "../api.js";
import { argsEditor, QUEUE_HELPERS, readArgs, wireArgs } from "../args.js";
import { $, attempt, badge, esc, href, num, rate, table } from "../dom.js";

const helpersFor = (type) => [...QUEUE_HELPERS.common.filter(([, k]) => type !== "stream" || k === "x-max-length-bytes"), ...QUEUE_HELPERS[type]];

export async function mount(el, _args, ctx) {
  const vhosts = await ctx.vhosts();
  el.innerHTML = `
    <div class="card"><h2>Queues</h2><div class="scroll"><table id="queues-table"></table></div></div>
    <div class="card">
      <h2>Add a new queue</h2>
      <form id="add-queue-form" class="grid">
        <label>Virtual host <select name="vhost">${vhosts.map((v) => `<option>${esc(v)}</option>`).join("")}</select></label>
        <label>Type <select name="type"><option value="classic">Classic</option><option value="quorum">Quorum</option><option value="stream">Stream</option></select></label>
        <label>Name <input name="name" required></label>
        <label>Durability <select name="durable"><option value="true">Durable</option><option value="false">Transient</option></select></label>
        <label>Auto delete <select name="auto_delete"><option value="false">No</option><option value="true">Yes</option></select></label>
        <fieldset><legend>Arguments</legend><div id="queue-args">${argsEditor(helpersFor("classic"))}</div></fieldset>
        <button type="submit">Add queue</button>
        <p class="result" id="add-queue-result" role="status"></p>
      </form>
    </div>`;
  const form = $("#add-queue-form", el);
  wireArgs(form);
  form.type.addEventListener("change", () => {
    // the helpers follow the type; rows already filled in stay
    const links = $("#queue-args .argument-links", el);
    const fresh = document.createElement("div");
    fresh.innerHTML = argsEditor(helpersFor(form.type.value));
    links.replaceWith(fresh.querySelector(".argument-links"));
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const ok = await attempt(
      $("#add-queue-result", el),
      () => {
        const args = readArgs(form);
        if (f.get("type") !== "classic") args["x-queue-type"] = f.get("type");
        return api("PUT", `queues/${seg(f.get("vhost"))}/${seg(f.get("name"))}`, {
          durable: f.get("durable") === "true",
          auto_delete: f.get("auto_delete") === "true",
          arguments: args,
        });
      },
      `Queue ${f.get("name")} declared.`,
    );
    if (ok) await ctx.refresh();
  });

  return {
    async update() {
      const rows = await api("GET", "queues");
      const many = new Set(rows.map((q) => q.vhost)).size > 1 || vhosts.length > 1;
      const columns = [
        ...(many ? [{ title: "Virtual host", value: (q) => q.vhost, wrap: true }] : []),
        { title: "Name", html: (q) => `<a class="queue-name" href="${href("queues", q.vhost, q.name)}">${esc(q.name)}</a>`, wrap: true },
        { title: "Type", value: (q) => q.type },
        {
          title: "Features",
          html: (q) =>
            `${badge("D", q.durable)}${badge("AD", q.auto_delete)}${badge("Excl", q.exclusive)}${badge("Args", Object.keys(q.arguments ?? {}).length > 0)}${q.policy ? badge(q.policy) : ""}`,
        },
        { title: "State", html: (q) => `<span class="state-${esc(q.state)}">${esc(q.state)}</span>` },
        { title: "Ready", num: true, html: (q) => `<span class="ready">${num(q.messages_ready)}</span>` },
        { title: "Unacked", num: true, html: (q) => `<span class="unacked">${num(q.messages_unacknowledged)}</span>` },
        { title: "Total", num: true, html: (q) => `<span class="total-messages">${num(q.messages)}</span>` },
        { title: "Incoming", num: true, value: (q) => rate(q.message_stats?.publish_details) },
        { title: "Deliver / get", num: true, value: (q) => rate(q.message_stats?.deliver_get_details) },
        { title: "Ack", num: true, value: (q) => rate(q.message_stats?.ack_details) },
      ];
      table($("#queues-table", el), columns, rows, "No queues", (q) => `${q.vhost}|${q.name}`);
    },
  };
}
