// Warren's management UI: plain ES modules over the RabbitMQ-compatible HTTP API (/api/...), one
// module per page (js/pages/). The shell here logs in, routes `#/<page>/<args…>` to a page and
// refreshes the page on a timer (every 5 s, RabbitMQ's default; ?refresh=<ms> changes it).
import { api, auth, tryLogin } from "./api.js";
import { $, $$, esc } from "./dom.js";

const params = new URLSearchParams(location.search);
const REFRESH_MS = Math.max(200, Number(params.get("refresh")) || 5000);

/** First segment of the hash → the page module and the nav tab it belongs to. */
const PAGES = {
  overview: ["overview", "overview"],
  nodes: ["nodes", "overview", "node"],
  connections: ["connections", "connections", "connection"],
  channels: ["channels", "channels", "channel"],
  exchanges: ["exchanges", "exchanges", "exchange"],
  queues: ["queues", "queues", "queue"],
  users: ["users", "users", "user"],
  vhosts: ["vhosts", "vhosts", "vhost"],
  policies: ["policies", "policies"],
  definitions: ["definitions", "definitions"],
};

const state = { timer: null, page: null, generation: 0, vhosts: null };

/** What a page gets from the shell. */
const ctx = {
  refresh: () => refresh(),
  /** The vhost names the user sees (cached until a vhost is added or deleted). */
  async vhosts() {
    state.vhosts ??= (await api("GET", "vhosts")).map((v) => v.name);
    return state.vhosts;
  },
  vhostsChanged() {
    state.vhosts = null;
  },
  go: (hash) => {
    location.hash = hash;
  },
  refreshMs: REFRESH_MS,
};

/** `#/queues/%2F/orders` → ["queues", "/", "orders"]. */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  return raw === "" ? ["overview"] : raw.split("/").map((s) => decodeURIComponent(s));
}

async function route() {
  clearTimeout(state.timer);
  const generation = ++state.generation;
  const [first, ...args] = parseHash();
  const entry = PAGES[first] ?? PAGES.overview;
  const [list, tab, detail] = entry;
  const moduleName = args.length > 0 && detail ? detail : list;
  for (const a of $$("nav a")) a.classList.toggle("active", a.dataset.tab === tab);
  // each visit mounts into a fresh element, so the listeners of the page left go with it
  const view = document.createElement("div");
  view.className = "page";
  $("#view").hidden = false;
  $("#view").dataset.page = moduleName;
  $("#view").replaceChildren(view);
  try {
    const mod = await import(`./pages/${moduleName}.js`);
    if (generation !== state.generation) return;
    state.page = await mod.mount(view, args, ctx);
  } catch (err) {
    view.innerHTML = `<div class="card"><p class="error">${esc(err.message)}</p></div>`;
    state.page = null;
  }
  if (generation === state.generation) await refresh();
}

async function refresh() {
  clearTimeout(state.timer);
  const generation = state.generation;
  try {
    await state.page?.update?.();
    $("#refreshed").textContent = `refreshed ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    $("#refreshed").textContent = `refresh failed: ${err.message}`;
  }
  if (auth.get() && generation === state.generation) state.timer = setTimeout(refresh, REFRESH_MS);
}

// ---- login ----------------------------------------------------------------------------------

async function start() {
  if (!auth.get()) return showLogin();
  try {
    const me = await api("GET", "whoami");
    $("#whoami").textContent = `${me.name} (${me.tags.join(", ") || "no tags"})`;
  } catch (err) {
    return showLogin(err.message);
  }
  $("#login").hidden = true;
  $("#tabs").hidden = false;
  $("#who").hidden = false;
  state.vhosts = null;
  await route();
}

function showLogin(message = "") {
  clearTimeout(state.timer);
  state.generation++;
  state.page = null;
  $("#login").hidden = false;
  $("#tabs").hidden = true;
  $("#who").hidden = true;
  $("#view").hidden = true;
  $("#view").innerHTML = "";
  $("#login-error").textContent = message;
}

auth.onExpired = () => showLogin();

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const refused = await tryLogin(f.get("username"), f.get("password"));
  if (refused !== null) return showLogin(refused);
  void start();
});
$("#logout").addEventListener("click", () => {
  auth.set(null);
  showLogin();
});
window.addEventListener("hashchange", () => {
  if (auth.get()) void route();
});

void start();
