// One channel: its mode (confirm / transactional), prefetch, unacked messages and consumers.
import { api, seg } from "../api.js";
import { $, esc, href, json, kv, num, table } from "../dom.js";

export async function mount(el, [name]) {
  el.innerHTML = `
    <h2 class="page-title">Channel <b id="channel-title">${esc(name)}</b></h2>
    <div class="card"><h2>Details</h2><div id="channel-details" class="columns"></div></div>
    <div class="card"><h2>Consumers</h2><div class="scroll"><table id="channel-consumers"></table></div></div>`;
  return {
    async update() {
      let c;
      try {
        c = await api("GET", `channels/${seg(name)}`);
      } catch (err) {
        if (err.status !== 404) throw err;
        $("#channel-details", el).innerHTML = '<p class="empty">This channel is closed.</p>';
        return;
      }
      const mode = [c.confirm && "Confirm", c.transactional && "Transactional"].filter(Boolean).join(", ") || "Normal";
      $("#channel-details", el).innerHTML =
        kv([
          ["Connection", { html: `<a href="${href("connections", c.connection_details.name)}">${esc(c.connection_details.name)}</a>` }],
          ["User", c.user],
          ["Virtual host", c.vhost],
          ["Mode", mode],
          ["State", c.state],
        ]) +
        kv([
          ["Prefetch count", num(c.prefetch_count)],
          ["Global prefetch count", num(c.global_prefetch_count)],
          ["Messages unacknowledged", num(c.messages_unacknowledged)],
          ["Messages unconfirmed", num(c.messages_unconfirmed)],
          ["Messages uncommitted", num(c.messages_uncommitted)],
          ["Consumers", num(c.consumer_count)],
          ["Published", num(c.message_stats?.publish ?? 0)],
          ["Confirmed", num(c.message_stats?.confirm ?? 0)],
        ]);
      table(
        $("#channel-consumers", el),
        [
          { title: "Consumer tag", value: (x) => x.consumer_tag, wrap: true },
          { title: "Queue", html: (x) => `<a href="${href("queues", x.queue.vhost, x.queue.name)}">${esc(x.queue.name)}</a>`, wrap: true },
          { title: "Ack required", value: (x) => (x.ack_required ? "yes" : "no") },
          { title: "Exclusive", value: (x) => (x.exclusive ? "yes" : "no") },
          { title: "Prefetch count", num: true, value: (x) => x.prefetch_count },
          { title: "Arguments", value: (x) => json(x.arguments ?? {}) },
        ],
        c.consumer_details ?? [],
        "No consumers",
        (x) => x.consumer_tag,
      );
    },
  };
}
