// Channels: every channel of every connection; a name opens the channel's page.
import { api } from "../api.js";
import { $, badge, esc, href, num, table } from "../dom.js";

/** The channel columns, shared with the connection page (which leaves out the connection's own fields). */
export function channelColumns(withOwner = true) {
  return [
    { title: "Channel", html: (c) => `<a href="${href("channels", c.name)}">${esc(c.name)}</a>`, wrap: true },
    ...(withOwner ? [{ title: "User", value: (c) => c.user }, { title: "Virtual host", value: (c) => c.vhost }] : []),
    { title: "Mode", html: (c) => `${badge("C", c.confirm)}${badge("T", c.transactional)}` },
    { title: "Prefetch", num: true, value: (c) => c.prefetch_count || c.global_prefetch_count || "" },
    { title: "Consumers", num: true, value: (c) => num(c.consumer_count) },
    { title: "Unacked", num: true, value: (c) => num(c.messages_unacknowledged) },
    { title: "Published", num: true, value: (c) => num(c.message_stats?.publish ?? 0) },
  ];
}

export async function mount(el) {
  el.innerHTML = '<div class="card"><h2>Channels</h2><div class="scroll"><table id="channels-table"></table></div></div>';
  return {
    async update() {
      table($("#channels-table", el), channelColumns(), await api("GET", "channels"), "No channels", (c) => c.name);
    },
  };
}
