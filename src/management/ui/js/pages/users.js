// Users: the list (a name opens the user's page, where access is given) and the add-user form.
import { api, seg } from "../api.js";
import { $, attempt, badge, esc, href, table } from "../dom.js";

export async function mount(el, _args, ctx) {
  el.innerHTML = `
    <div class="card"><h2>Users</h2><div class="scroll"><table id="users-table"></table></div></div>
    <div class="card"><h2>Add a user</h2>
      <form id="add-user-form" class="grid">
        <label>Username <input name="name" required></label>
        <label>Password <input name="password" type="password" required></label>
        <label>Tags <input name="tags" placeholder="administrator, monitoring, management"></label>
        <button type="submit">Add user</button>
        <p class="result" id="add-user-result" role="status"></p>
      </form></div>`;
  $("#add-user-form", el).addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const ok = await attempt(
      $("#add-user-result", el),
      () => api("PUT", `users/${seg(f.get("name"))}`, { password: f.get("password"), tags: f.get("tags") }),
      `User ${f.get("name")} added.`,
    );
    if (ok) await ctx.refresh();
  });
  return {
    async update() {
      const [rows, perms] = await Promise.all([api("GET", "users"), api("GET", "permissions").catch(() => [])]);
      table(
        $("#users-table", el),
        [
          { title: "Name", html: (u) => `<a href="${href("users", u.name)}">${esc(u.name)}</a>`, wrap: true },
          { title: "Tags", html: (u) => u.tags.map((t) => badge(t)).join("") },
          { title: "Can access virtual hosts", value: (u) => perms.filter((p) => p.user === u.name).map((p) => p.vhost).join(", ") || "No access", wrap: true },
          { title: "Has password", value: (u) => (u.password_hash ? "●" : "○") },
        ],
        rows,
        "No users",
        (u) => u.name,
      );
    },
  };
}
