// Overview: totals, the message-rate chart, queued messages, the nodes and the listeners.
import { api } from "../api.js";
import { $, bytes, esc, link, num, rate, table } from "../dom.js";

const RATES = [
  ["publish", "Publish", "#d9480f"],
  ["confirm", "Confirm", "#f08c00"],
  ["deliver_get", "Deliver / get", "#1971c2"],
  ["ack", "Ack", "#2b8a3e"],
  ["redeliver", "Redelivered", "#862e9c"],
];

/** Samples of the rates while the overview is shown; kept across visits to the page. */
const history = [];

const totals = (pairs) =>
  pairs.map(([l, n]) => `<div class="total"><div class="n">${num(n)}</div><div class="l">${esc(l)}</div></div>`).join("");

/**
 * The nodes table; with a cluster (fields from /api/nodes' cluster members) it adds the role, the
 * epoch, whether the follower is in sync and how far it lags.
 */
export function nodesTable(el, nodes) {
  const clustered = nodes.some((n) => n.cluster_role !== undefined);
  const columns = [
    { title: "Name", html: (n) => link(n.name, "nodes", n.name), wrap: true },
    { title: "File descriptors", num: true, value: (n) => `${num(n.fd_used)} / ${num(n.fd_total)}` },
    { title: "Sockets", num: true, value: (n) => num(n.sockets_used) },
    { title: "Memory", num: true, html: (n) => `${esc(bytes(n.mem_used))} / ${esc(bytes(n.mem_limit))}${n.mem_alarm ? ' <span class="badge alarm">memory alarm</span>' : ""}` },
    { title: "Disk free", num: true, html: (n) => `${esc(bytes(n.disk_free))}${n.disk_free_alarm ? ' <span class="badge alarm">disk alarm</span>' : ""}` },
    { title: "Uptime", num: true, value: (n) => uptime(n.uptime) },
  ];
  if (clustered) {
    columns.push(
      { title: "Role", value: (n) => n.cluster_role ?? "" },
      { title: "Epoch", num: true, value: (n) => num(n.cluster_epoch) },
      { title: "In sync", value: (n) => (n.cluster_in_sync === undefined ? "" : n.cluster_in_sync ? "yes" : "no") },
      { title: "Lag", num: true, value: (n) => (n.replication_lag_batches === undefined ? "" : `${num(n.replication_lag_batches)} batches / ${bytes(n.replication_lag_bytes)}`) },
    );
  }
  table(el, columns, nodes, "No nodes", (n) => n.name);
}

export function uptime(ms) {
  if (typeof ms !== "number") return "";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
}

export async function mount(el, _args, ctx) {
  el.innerHTML = `
    <div class="totals" id="totals"></div>
    <div class="card">
      <h2>Message rates <small>(per second, last 5 minutes)</small></h2>
      <canvas id="rates-chart" width="900" height="180"></canvas>
      <div id="rates-legend" class="legend"></div>
    </div>
    <div class="card"><h2>Queued messages</h2><div id="queued"></div></div>
    <div class="card"><h2>Nodes</h2><div id="node-summary"></div><div class="scroll"><table id="nodes-table"></table></div></div>
    <div class="card"><h2>Listeners</h2><div class="scroll"><table id="listeners"></table></div></div>`;
  const keep = Math.ceil(300000 / ctx.refreshMs);
  return {
    async update() {
      // /api/nodes needs the monitoring tag; without it the card says so and the rest shows
      const [o, nodes] = await Promise.all([api("GET", "overview"), api("GET", "nodes").catch((err) => err)]);
      const t = o.object_totals;
      $("#totals").innerHTML = totals([
        ["Connections", t.connections],
        ["Channels", t.channels],
        ["Exchanges", t.exchanges],
        ["Queues", t.queues],
        ["Consumers", t.consumers],
      ]);
      const q = o.queue_totals;
      $("#queued").innerHTML = `<div class="totals">${totals([
        ["Ready", q.messages_ready],
        ["Unacked", q.messages_unacknowledged],
        ["Total", q.messages],
      ])}</div>`;
      const ms = o.message_stats;
      history.push(RATES.map(([k]) => ms[`${k}_details`]?.rate ?? 0));
      while (history.length > keep) history.shift();
      drawChart($("#rates-chart"), keep);
      $("#rates-legend").innerHTML = RATES.map(
        ([k, label, color]) => `<span style="--c:${color}">${label}: ${rate(ms[`${k}_details`])} (${num(ms[k])} total)</span>`,
      ).join("");
      $("#node-summary").innerHTML = `<p>${esc(o.product_name)} ${esc(o.product_version)}${o.cluster_name ? ` · cluster ${esc(o.cluster_name)}` : ""}</p>`;
      if (nodes instanceof Error) $("#nodes-table").innerHTML = `<tbody><tr><td class="empty">${esc(nodes.message)}</td></tr></tbody>`;
      else nodesTable($("#nodes-table"), nodes);
      table(
        $("#listeners"),
        [
          { title: "Node", value: (l) => l.node },
          { title: "Protocol", value: (l) => l.protocol },
          { title: "Bound to", value: (l) => l.ip_address },
          { title: "Port", num: true, value: (l) => l.port },
        ],
        o.listeners,
        "No listeners",
      );
    },
  };
}

function drawChart(canvas, keep) {
  const c = canvas.getContext("2d");
  const w = canvas.width;
  const h = canvas.height;
  c.clearRect(0, 0, w, h);
  const max = Math.max(1, ...history.flat());
  c.strokeStyle = "#e1e4e8";
  c.fillStyle = "#6b7785";
  c.font = "11px sans-serif";
  for (let i = 0; i <= 4; i++) {
    const y = h - 14 - ((h - 24) * i) / 4;
    c.beginPath();
    c.moveTo(40, y);
    c.lineTo(w, y);
    c.stroke();
    c.fillText(((max * i) / 4).toFixed(max < 10 ? 1 : 0), 0, y + 4);
  }
  // until five minutes are collected, the samples there are fill the width
  const span = Math.min(keep, Math.max(history.length, 30));
  const step = (w - 40) / Math.max(1, span - 1);
  RATES.forEach(([, , color], k) => {
    c.strokeStyle = color;
    c.lineWidth = 2;
    c.beginPath();
    history.forEach((sample, i) => {
      const x = 40 + (span - history.length + i) * step;
      const y = h - 14 - ((h - 24) * sample[k]) / max;
      if (i === 0) c.moveTo(x, y);
      else c.lineTo(x, y);
    });
    c.stroke();
  });
}
