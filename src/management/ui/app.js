// Warren's management UI: plain JavaScript over the RabbitMQ-compatible HTTP API (/api/...).
// It keeps the credentials for this browser tab only, and refreshes the visible tab on a timer
// (every 5 s, RabbitMQ's default; ?refresh=<ms> changes it).
"use strict";

const params = new URLSearchParams(location.search);
const REFRESH_MS = Math.max(200, Number(params.get("refresh")) || 5000);
const HISTORY = Math.ceil(300000 / REFRESH_MS); // five minutes of samples for the rate chart
const RATES = [
  ["publish", "Publish", "#d9480f"],
  ["confirm", "Confirm", "#f08c00"],
  ["deliver_get", "Deliver / get", "#1971c2"],
  ["ack", "Ack", "#2b8a3e"],
  ["redeliver", "Redelivered", "#862e9c"],
];

/** Asks the API not to send a WWW-Authenticate challenge, which would make the browser prompt. */
const XHR = { "x-requested-with": "XMLHttpRequest" };

const state = { auth: sessionStorage.getItem("warren-auth"), tab: "overview", history: [], timer: null, vhosts: [] };

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const num = (n) => (typeof n === "number" ? n.toLocaleString("en-US") : "");
const rate = (d) => (d && typeof d.rate === "number" ? `${d.rate.toFixed(1)}/s` : "");
const seg = (s) => encodeURIComponent(s);

class ApiError extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

/** One API call with the stored credentials; 401 sends the user back to the login form. */
async function api(method, path, body) {
  const res = await fetch(`/api/${path}`, {
    method,
    headers: { ...XHR, authorization: `Basic ${state.auth}`, ...(body !== undefined && { "content-type": "application/json" }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (res.status === 401 && path !== "whoami") {
    logout();
    throw new ApiError(401, json?.reason ?? "Login failed");
  }
  if (!res.ok) throw new ApiError(res.status, json?.reason ?? res.statusText);
  return json;
}

function table(el, columns, rows, empty) {
  if (rows.length === 0) {
    el.innerHTML = `<tr><td class="empty">${esc(empty)}</td></tr>`;
    return;
  }
  const head = columns.map((c) => `<th class="${c.num ? "num" : ""}">${esc(c.title)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${columns.map((c) => `<td class="${c.num ? "num" : ""}">${c.html ? c.html(r) : esc(c.value(r))}</td>`).join("")}</tr>`)
    .join("");
  el.innerHTML = `<thead><tr>${head}</tr></thead><tbody>${body}</tbody>`;
}

// ---- tabs -----------------------------------------------------------------------------------

const renderers = {
  async overview() {
    const [o, nodes] = await Promise.all([api("GET", "overview"), api("GET", "nodes").catch(() => [])]);
    const t = o.object_totals;
    $("#totals").innerHTML = [
      ["Connections", t.connections], ["Channels", t.channels], ["Exchanges", t.exchanges], ["Queues", t.queues], ["Consumers", t.consumers],
    ].map(([l, n]) => `<div class="total"><div class="n">${num(n)}</div><div class="l">${l}</div></div>`).join("");
    const q = o.queue_totals;
    $("#queued").innerHTML = `<div class="totals">${[["Ready", q.messages_ready], ["Unacked", q.messages_unacknowledged], ["Total", q.messages]]
      .map(([l, n]) => `<div class="total"><div class="n">${num(n)}</div><div class="l">${l}</div></div>`).join("")}</div>`;
    const ms = o.message_stats;
    state.history.push(RATES.map(([k]) => ms[`${k}_details`]?.rate ?? 0));
    if (state.history.length > HISTORY) state.history.shift();
    drawChart();
    $("#rates-legend").innerHTML = RATES.map(([k, label, color]) => `<span style="--c:${color}">${label}: ${rate(ms[`${k}_details`])} (${num(ms[k])} total)</span>`).join("");
    const n = nodes[0];
    $("#node").innerHTML = n
      ? `<b>${esc(n.name)}</b> · ${esc(o.product_name)} ${esc(o.product_version)} · uptime ${Math.round(n.uptime / 1000)} s · memory ${(n.mem_used / 1048576).toFixed(1)} MiB of ${(n.mem_limit / 1048576).toFixed(0)} MiB${n.mem_alarm ? ' <span class="badge">memory alarm</span>' : ""} · disk free ${(n.disk_free / 1e9).toFixed(1)} GB${n.disk_free_alarm ? ' <span class="badge">disk alarm</span>' : ""} · ${num(n.fd_used)} file descriptors`
      : `<b>${esc(o.node)}</b> · ${esc(o.product_name)} ${esc(o.product_version)}`;
    table($("#listeners"), [{ title: "Protocol", value: (l) => l.protocol }, { title: "Bound to", value: (l) => l.ip_address }, { title: "Port", num: true, value: (l) => l.port }], o.listeners, "No listeners");
  },

  async connections() {
    const rows = await api("GET", "connections");
    table($("#connections-table"), [
      { title: "Name", value: (c) => c.name },
      { title: "Client", value: (c) => c.user_provided_name ?? c.client_properties?.product ?? c.client_properties?.client_id ?? "" },
      { title: "Protocol", value: (c) => c.protocol },
      { title: "User", value: (c) => c.user },
      { title: "Virtual host", value: (c) => c.vhost },
      { title: "Channels", num: true, value: (c) => c.channels },
      { title: "State", html: (c) => `<span class="state-${esc(c.state)}">${esc(c.state)}</span>` },
      { title: "", html: (c) => `<button class="small danger" data-close="${esc(c.name)}">Close</button>` },
    ], rows, "No connections");
  },

  async channels() {
    const rows = await api("GET", "channels");
    table($("#channels-table"), [
      { title: "Channel", value: (c) => c.name },
      { title: "User", value: (c) => c.user },
      { title: "Virtual host", value: (c) => c.vhost },
      { title: "Mode", html: (c) => `${c.confirm ? '<span class="badge">C</span>' : ""}${c.transactional ? '<span class="badge">T</span>' : ""}` },
      { title: "Prefetch", num: true, value: (c) => c.prefetch_count || c.global_prefetch_count || "" },
      { title: "Consumers", num: true, value: (c) => c.consumer_count },
      { title: "Unacked", num: true, value: (c) => c.messages_unacknowledged },
      { title: "Published", num: true, value: (c) => c.message_stats?.publish ?? 0 },
    ], rows, "No channels");
  },

  async exchanges() {
    const rows = await api("GET", "exchanges");
    table($("#exchanges-table"), [
      { title: "Virtual host", value: (x) => x.vhost },
      { title: "Name", value: (x) => (x.name === "" ? "(AMQP default)" : x.name) },
      { title: "Type", value: (x) => x.type },
      { title: "Features", html: (x) => `${x.durable ? '<span class="badge">D</span>' : ""}${x.auto_delete ? '<span class="badge">AD</span>' : ""}${x.internal ? '<span class="badge">I</span>' : ""}` },
    ], rows, "No exchanges");
  },

  async queues() {
    const rows = await api("GET", "queues");
    table($("#queues-table"), [
      { title: "Virtual host", value: (q) => q.vhost },
      { title: "Name", html: (q) => `<span class="queue-name">${esc(q.name)}</span>` },
      { title: "Type", value: (q) => q.type },
      { title: "Features", html: (q) => `${q.durable ? '<span class="badge">D</span>' : ""}${q.auto_delete ? '<span class="badge">AD</span>' : ""}${q.exclusive ? '<span class="badge">Excl</span>' : ""}` },
      { title: "State", html: (q) => `<span class="state-${esc(q.state)}">${esc(q.state)}</span>` },
      { title: "Ready", num: true, html: (q) => `<span class="ready">${num(q.messages_ready)}</span>` },
      { title: "Unacked", num: true, value: (q) => num(q.messages_unacknowledged) },
      { title: "Total", num: true, html: (q) => `<span class="total-messages">${num(q.messages)}</span>` },
      { title: "Consumers", num: true, value: (q) => q.consumers },
      { title: "Incoming", num: true, value: (q) => rate(q.message_stats?.publish_details) },
      { title: "Deliver / get", num: true, value: (q) => rate(q.message_stats?.deliver_get_details) },
      { title: "", html: (q) => `<button class="small" data-purge="${esc(q.vhost)}|${esc(q.name)}">Purge</button> <button class="small danger" data-delete-queue="${esc(q.vhost)}|${esc(q.name)}">Delete</button>` },
    ], rows, "No queues");
    for (const tr of $("#queues-table").querySelectorAll("tbody tr")) {
      const name = tr.querySelector(".queue-name");
      if (name) tr.dataset.queue = name.textContent;
    }
  },

  async users() {
    const rows = await api("GET", "users");
    const perms = await api("GET", "permissions").catch(() => []);
    table($("#users-table"), [
      { title: "Name", value: (u) => u.name },
      { title: "Tags", html: (u) => u.tags.map((t) => `<span class="badge">${esc(t)}</span>`).join("") },
      { title: "Can access virtual hosts", value: (u) => perms.filter((p) => p.user === u.name).map((p) => p.vhost).join(", ") || "No access" },
    ], rows, "No users");
  },

  async policies() {
    const rows = await api("GET", "policies");
    table($("#policies-table"), [
      { title: "Virtual host", value: (p) => p.vhost },
      { title: "Name", value: (p) => p.name },
      { title: "Pattern", value: (p) => p.pattern },
      { title: "Apply to", value: (p) => p["apply-to"] },
      { title: "Definition", value: (p) => JSON.stringify(p.definition) },
      { title: "Priority", num: true, value: (p) => p.priority },
    ], rows, "No policies");
  },
};

function drawChart() {
  const canvas = $("#rates-chart");
  const ctx = canvas.getContext("2d");
  const w = canvas.width;
  const h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const max = Math.max(1, ...state.history.flat());
  ctx.strokeStyle = "#e1e4e8";
  ctx.fillStyle = "#6b7785";
  ctx.font = "11px sans-serif";
  for (let i = 0; i <= 4; i++) {
    const y = h - 14 - ((h - 24) * i) / 4;
    ctx.beginPath();
    ctx.moveTo(40, y);
    ctx.lineTo(w, y);
    ctx.stroke();
    ctx.fillText(((max * i) / 4).toFixed(max < 10 ? 1 : 0), 0, y + 4);
  }
  // until five minutes are collected, the samples there are fill the width
  const span = Math.min(HISTORY, Math.max(state.history.length, 30));
  const step = (w - 40) / Math.max(1, span - 1);
  RATES.forEach(([, , color], k) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    state.history.forEach((sample, i) => {
      const x = 40 + (span - state.history.length + i) * step;
      const y = h - 14 - ((h - 24) * sample[k]) / max;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  });
}

// ---- refresh loop ---------------------------------------------------------------------------

async function refresh() {
  clearTimeout(state.timer);
  try {
    if (state.tab !== "overview") await renderers.overview().catch(() => undefined); // keeps the rate history going
    await renderers[state.tab]();
    if (state.vhosts.length === 0) await loadVhosts();
    $("#refreshed").textContent = `refreshed ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    $("#refreshed").textContent = `refresh failed: ${err.message}`;
  }
  if (state.auth) state.timer = setTimeout(refresh, REFRESH_MS);
}

async function loadVhosts() {
  state.vhosts = (await api("GET", "vhosts")).map((v) => v.name);
  for (const sel of document.querySelectorAll(".vhost-select")) {
    sel.innerHTML = state.vhosts.map((v) => `<option>${esc(v)}</option>`).join("");
  }
}

function showTab(tab) {
  state.tab = renderers[tab] ? tab : "overview";
  for (const s of document.querySelectorAll("section.tab")) s.hidden = s.id !== state.tab;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.tab === state.tab);
  void refresh();
}

// ---- login ----------------------------------------------------------------------------------

async function start() {
  if (!state.auth) return showLogin();
  try {
    const me = await api("GET", "whoami");
    $("#whoami").textContent = `${me.name} (${me.tags.join(", ") || "no tags"})`;
  } catch (err) {
    return showLogin(err.message);
  }
  $("#login").hidden = true;
  $("#tabs").hidden = false;
  $("#who").hidden = false;
  state.vhosts = [];
  showTab(location.hash.slice(1) || "overview");
}

function showLogin(message = "") {
  clearTimeout(state.timer);
  $("#login").hidden = false;
  $("#tabs").hidden = true;
  $("#who").hidden = true;
  for (const s of document.querySelectorAll("section.tab")) s.hidden = true;
  $("#login-error").textContent = message;
}

function logout() {
  state.auth = null;
  sessionStorage.removeItem("warren-auth");
  showLogin();
}

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  state.auth = btoa(unescape(encodeURIComponent(`${f.get("username")}:${f.get("password")}`)));
  const res = await fetch("/api/whoami", { headers: { ...XHR, authorization: `Basic ${state.auth}` } });
  if (!res.ok) {
    const body = await res.text();
    state.auth = null;
    return showLogin(body ? JSON.parse(body).reason : "Login failed");
  }
  sessionStorage.setItem("warren-auth", state.auth);
  void start();
});
$("#logout").addEventListener("click", logout);
window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));

// ---- actions --------------------------------------------------------------------------------

function say(el, text, ok) {
  el.textContent = text;
  el.className = `result ${ok ? "ok" : "bad"}`;
}

document.addEventListener("click", async (e) => {
  const b = e.target.closest("button");
  if (!b) return;
  try {
    if (b.dataset.close !== undefined) {
      if (!confirm(`Close connection ${b.dataset.close}?`)) return;
      await api("DELETE", `connections/${seg(b.dataset.close)}`);
    } else if (b.dataset.purge !== undefined) {
      const [vhost, name] = b.dataset.purge.split("|");
      await api("DELETE", `queues/${seg(vhost)}/${seg(name)}/contents`);
    } else if (b.dataset.deleteQueue !== undefined) {
      const [vhost, name] = b.dataset.deleteQueue.split("|");
      if (!confirm(`Delete queue ${name}?`)) return;
      await api("DELETE", `queues/${seg(vhost)}/${seg(name)}`);
    } else return;
    void refresh();
  } catch (err) {
    alert(err.message);
  }
});

$("#publish-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  try {
    const r = await api("POST", `exchanges/${seg(f.get("vhost"))}/${seg(f.get("exchange") || "amq.default")}/publish`, {
      routing_key: f.get("routing_key"),
      payload: f.get("payload"),
      payload_encoding: "string",
      properties: { delivery_mode: Number(f.get("delivery_mode")) },
    });
    say($("#publish-result"), r.routed ? "Message published." : "Message published, but not routed.", r.routed);
  } catch (err) {
    say($("#publish-result"), err.message, false);
  }
});

$("#add-queue-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  try {
    await api("PUT", `queues/${seg(f.get("vhost"))}/${seg(f.get("name"))}`, {
      durable: f.get("durable") === "true",
      auto_delete: f.get("auto_delete") === "true",
      arguments: {},
    });
    say($("#add-queue-result"), `Queue ${f.get("name")} declared.`, true);
    void refresh();
  } catch (err) {
    say($("#add-queue-result"), err.message, false);
  }
});

$("#get-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const out = $("#get-result");
  try {
    const msgs = await api("POST", `queues/${seg(f.get("vhost"))}/${seg(f.get("queue"))}/get`, {
      count: Number(f.get("count")), ackmode: f.get("ackmode"), encoding: "auto", truncate: 50000,
    });
    out.innerHTML = msgs.length === 0
      ? '<p class="empty">Queue is empty</p>'
      : msgs.map((m, i) => `<div class="message"><b>Message ${i + 1}</b> · exchange ${esc(m.exchange || "(AMQP default)")} · routing key ${esc(m.routing_key)} · redelivered ${m.redelivered} · ${num(m.message_count)} remaining · properties ${esc(JSON.stringify(m.properties))}<pre class="payload">${esc(m.payload)}</pre></div>`).join("");
    void refresh();
  } catch (err) {
    out.innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
});

$("#add-user-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  try {
    await api("PUT", `users/${seg(f.get("name"))}`, { password: f.get("password"), tags: f.get("tags") });
    say($("#add-user-result"), `User ${f.get("name")} added.`, true);
    void refresh();
  } catch (err) {
    say($("#add-user-result"), err.message, false);
  }
});

void start();
