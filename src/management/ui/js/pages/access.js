// Permissions and topic permissions, shared by the user page (per vhost) and the vhost page (per user).
import { api, seg } from "../api.js";
import { $, attempt, esc, href, table } from "../dom.js";

/**
 * The permission cards for one user (`fixed` = { user }) or one vhost (`fixed` = { vhost }): the
 * tables, a set form each, and Clear buttons.
 */
export function accessCards(fixed, choices) {
  const other = fixed.user !== undefined ? "vhost" : "user";
  const select = `<label>${other === "vhost" ? "Virtual host" : "User"} <select name="${other}">${choices.map((c) => `<option>${esc(c)}</option>`).join("")}</select></label>`;
  return `
    <div class="card"><h2>Permissions</h2><div class="scroll"><table id="permissions-table"></table></div>
      <h3>Set permission</h3>
      <form id="permission-form" class="grid">${select}
        <label>Configure regexp <input name="configure" value=".*"></label>
        <label>Write regexp <input name="write" value=".*"></label>
        <label>Read regexp <input name="read" value=".*"></label>
        <button type="submit">Set permission</button>
        <p class="result" id="permission-result" role="status"></p>
      </form></div>
    <div class="card"><h2>Topic permissions</h2><div class="scroll"><table id="topic-permissions-table"></table></div>
      <h3>Set topic permission</h3>
      <form id="topic-permission-form" class="grid">${select}
        <label>Exchange <input name="exchange" value="amq.topic"></label>
        <label>Write regexp <input name="write" value=".*"></label>
        <label>Read regexp <input name="read" value=".*"></label>
        <button type="submit">Set topic permission</button>
        <p class="result" id="topic-permission-result" role="status"></p>
      </form></div>`;
}

export function wireAccess(el, ctx, fixed) {
  const pick = (f) => ({ user: fixed.user ?? f.get("user"), vhost: fixed.vhost ?? f.get("vhost") });
  $("#permission-form", el).addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const { user, vhost } = pick(f);
    const ok = await attempt(
      $("#permission-result", el),
      () => api("PUT", `permissions/${seg(vhost)}/${seg(user)}`, { configure: f.get("configure"), write: f.get("write"), read: f.get("read") }),
      `Permission set for ${user} in ${vhost}.`,
    );
    if (ok) await ctx.refresh();
  });
  $("#topic-permission-form", el).addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const { user, vhost } = pick(f);
    const ok = await attempt(
      $("#topic-permission-result", el),
      () => api("PUT", `topic-permissions/${seg(vhost)}/${seg(user)}`, { exchange: f.get("exchange"), write: f.get("write"), read: f.get("read") }),
      `Topic permission set for ${user} in ${vhost}.`,
    );
    if (ok) await ctx.refresh();
  });
  el.addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-clear]");
    if (!b) return;
    const [kind, vhost, user, exchange] = JSON.parse(b.dataset.clear);
    const resultEl = $(kind === "permissions" ? "#permission-result" : "#topic-permission-result", el);
    await attempt(resultEl, () => api("DELETE", `${kind}/${seg(vhost)}/${seg(user)}${exchange ? `?exchange=${seg(exchange)}` : ""}`), "Cleared.");
    await ctx.refresh();
  });
}

export async function updateAccess(el, fixed) {
  const base = fixed.user !== undefined ? `users/${seg(fixed.user)}` : `vhosts/${seg(fixed.vhost)}`;
  const [perms, topics] = await Promise.all([api("GET", `${base}/permissions`), api("GET", `${base}/topic-permissions`)]);
  const who =
    fixed.user !== undefined
      ? { title: "Virtual host", html: (p) => `<a href="${href("vhosts", p.vhost)}">${esc(p.vhost)}</a>` }
      : { title: "User", html: (p) => `<a href="${href("users", p.user)}">${esc(p.user)}</a>` };
  table(
    $("#permissions-table", el),
    [
      who,
      { title: "Configure", value: (p) => p.configure },
      { title: "Write", value: (p) => p.write },
      { title: "Read", value: (p) => p.read },
      { title: "", html: (p) => `<button type="button" class="small danger" data-clear="${esc(JSON.stringify(["permissions", p.vhost, p.user]))}">Clear</button>` },
    ],
    perms,
    "No permissions",
    (p) => `${p.vhost}|${p.user}`,
  );
  table(
    $("#topic-permissions-table", el),
    [
      who,
      { title: "Exchange", value: (p) => p.exchange },
      { title: "Write", value: (p) => p.write },
      { title: "Read", value: (p) => p.read },
      { title: "", html: (p) => `<button type="button" class="small danger" data-clear="${esc(JSON.stringify(["topic-permissions", p.vhost, p.user, p.exchange]))}">Clear</button>` },
    ],
    topics,
    "No topic permissions",
    (p) => `${p.vhost}|${p.user}|${p.exchange}`,
  );
}
