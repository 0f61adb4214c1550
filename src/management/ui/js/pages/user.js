// One user: tags and password, permissions and topic permissions per vhost, delete.
import { api, seg } from "../api.js";
import { $, attempt, esc, kv } from "../dom.js";
import { accessCards, updateAccess, wireAccess } from "./access.js";

export async function mount(el, [name], ctx) {
  const vhosts = await ctx.vhosts();
  el.innerHTML = `
    <h2 class="page-title">User <b id="user-title">${esc(name)}</b></h2>
    <div class="card"><h2>Details</h2><div id="user-details"></div></div>
    ${accessCards({ user: name }, vhosts)}
    <div class="card"><h2>Update this user</h2>
      <form id="update-user-form" class="grid">
        <label>Password <input name="password" type="password" placeholder="unchanged"></label>
        <label>Tags <input name="tags"></label>
        <button type="submit">Update user</button>
        <p class="result" id="update-user-result" role="status"></p>
      </form></div>
    <div class="card danger-zone"><h2>Delete this user</h2><button type="button" class="danger" id="delete-user">Delete user</button> <span class="result" id="delete-result" role="status"></span></div>`;
  wireAccess(el, ctx, { user: name });
  let current = null;
  $("#update-user-form", el).addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = { tags: f.get("tags") };
    if (f.get("password")) body.password = f.get("password");
    else if (current) body.password_hash = current.password_hash;
    const ok = await attempt($("#update-user-result", el), () => api("PUT", `users/${seg(name)}`, body), "User updated.");
    if (ok) await ctx.refresh();
  });
  $("#delete-user", el).addEventListener("click", async () => {
    if (!confirm("Are you sure? This object cannot be recovered after deletion.")) return;
    if (await attempt($("#delete-result", el), () => api("DELETE", `users/${seg(name)}`), "User deleted.")) ctx.go("#/users");
  });
  let first = true;
  return {
    async update() {
      current = await api("GET", `users/${seg(name)}`);
      $("#user-details", el).innerHTML = kv([
        ["Tags", current.tags.join(", ") || "none"],
        ["Hashing algorithm", current.hashing_algorithm ?? ""],
      ]);
      if (first) $("#update-user-form", el).tags.value = current.tags.join(", ");
      first = false;
      await updateAccess(el, { user: name });
    },
  };
}
