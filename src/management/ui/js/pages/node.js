// One node: memory (with its breakdown), file descriptors, sockets, alarms, listeners, cluster role.
import { api, seg } from "../api.js";
import { $, bytes, kv, num, table } from "../dom.js";
import { uptime } from "./overview.js";

const MEMORY_PARTS = [
  ["heap_used", "JavaScript heap (used)"],
  ["heap_unused", "JavaScript heap (reserved)"],
  ["buffers", "Buffers (message bodies, sockets)"],
  ["other_system", "Code and other"],
];

export async function mount(el, [name]) {
  el.innerHTML = `
    <h2 class="page-title">Node <b id="node-title"></b></h2>
    <div class="card"><h2>Status</h2><div id="node-details" class="columns"></div></div>
    <div class="card"><h2>Alarms</h2><div id="node-alarms"></div></div>
    <div class="card"><h2>Memory</h2><div id="node-memory"></div></div>
    <div class="card"><h2>Listeners</h2><div class="scroll"><table id="node-listeners"></table></div></div>`;
  $("#node-title", el).textContent = name;
  return {
    async update() {
      const [n, o] = await Promise.all([api("GET", `nodes/${seg(name)}?memory=true`), api("GET", "overview")]);
      $("#node-details", el).innerHTML =
        kv([
          ["Uptime", uptime(n.uptime)],
          ["Type", n.type],
          ["Processors", num(n.processors)],
          ["OS pid", n.os_pid],
          ["Data directory", n.db_dir],
          ...(n.cluster_role !== undefined
            ? [
                ["Cluster role", n.cluster_role],
                ["Cluster epoch", num(n.cluster_epoch)],
                ["In sync", n.cluster_in_sync ? "yes" : "no"],
                ["Replication lag", `${num(n.replication_lag_batches)} batches / ${bytes(n.replication_lag_bytes)}`],
              ]
            : []),
        ]) +
        kv([
          ["File descriptors", `${num(n.fd_used)} / ${num(n.fd_total)}`],
          ["Socket descriptors", n.sockets_total ? `${num(n.sockets_used)} / ${num(n.sockets_total)}` : num(n.sockets_used)],
          ["Memory", `${bytes(n.mem_used)} (high watermark ${bytes(n.mem_limit)})`],
          ["Disk free", `${bytes(n.disk_free)} (low watermark ${bytes(n.disk_free_limit)})`],
        ]);
      const alarms = [n.mem_alarm && "Memory alarm: publishers are blocked", n.disk_free_alarm && "Disk alarm: publishers are blocked"].filter(Boolean);
      $("#node-alarms", el).innerHTML = alarms.length === 0 ? '<p class="ok">No alarms</p>' : alarms.map((a) => `<p class="badge alarm">${a}</p>`).join("");
      const m = n.memory ?? {};
      const total = m.total?.rss ?? 0;
      $("#node-memory", el).innerHTML = `<div class="membar">${MEMORY_PARTS.map(
        ([k], i) => `<span class="part-${i}" style="width:${total ? ((100 * (m[k] ?? 0)) / total).toFixed(1) : 0}%"></span>`,
      ).join("")}</div>${kv([
        ...MEMORY_PARTS.map(([k, label]) => [label, bytes(m[k] ?? 0)]),
        ["Total (resident set)", bytes(total)],
        ["Calculation strategy", m.strategy ?? n.mem_calculation_strategy],
      ])}`;
      table(
        $("#node-listeners", el),
        [
          { title: "Protocol", value: (l) => l.protocol },
          { title: "Bound to", value: (l) => l.ip_address },
          { title: "Port", num: true, value: (l) => l.port },
        ],
        o.listeners.filter((l) => l.node === name),
        "No listeners",
        (l) => `${l.protocol}|${l.port}`,
      );
    },
  };
}
