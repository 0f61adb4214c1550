// Policies and operator policies: one table and one add/update form each.
import { api, seg } from "../api.js";
import { $, attempt, esc, json, table } from "../dom.js";

const KINDS = [
  { id: "policy", path: "policies", title: "User policies", applyTo: ["all", "queues", "exchanges"], placeholder: '{"max-length": 1000}' },
  { id: "operator-policy", path: "operator-policies", title: "Operator policies", applyTo: ["queues"], placeholder: '{"message-ttl": 60000}' },
];

export async function mount(el, _args, ctx) {
  const vhosts = await ctx.vhosts();
  el.innerHTML = KINDS.map(
    (k) => `
    <div class="card"><h2>${k.title}</h2><div class="scroll"><table id="${k.path}-table"></table></div>
      <h3>Add / update ${k.id === "policy" ? "a policy" : "an operator policy"}</h3>
      <form id="${k.id}-form" class="grid" data-path="${k.path}">
        <label>Virtual host <select name="vhost">${vhosts.map((v) => `<option>${esc(v)}</option>`).join("")}</select></label>
        <label>Name <input name="name" required></label>
        <label>Pattern <input name="pattern" placeholder="^orders\\." required></label>
        <label>Apply to <select name="apply-to">${k.applyTo.map((a) => `<option>${a}</option>`).join("")}</select></label>
        <label>Priority <input name="priority" type="number" value="0"></label>
        <label class="wide">Definition (JSON) <textarea name="definition" rows="2" placeholder='${k.placeholder}' required></textarea></label>
        <button type="submit">Add / update ${k.id === "policy" ? "policy" : "operator policy"}</button>
        <p class="result" id="${k.id}-result" role="status"></p>
      </form></div>`,
  ).join("");
  for (const k of KINDS) {
    $(`#${k.id}-form`, el).addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      const ok = await attempt(
        $(`#${k.id}-result`, el),
        () => {
          let definition;
          try {
            definition = JSON.parse(f.get("definition"));
          } catch {
            throw new Error("The definition is not JSON");
          }
          return api("PUT", `${k.path}/${seg(f.get("vhost"))}/${seg(f.get("name"))}`, {
            pattern: f.get("pattern"),
            "apply-to": f.get("apply-to"),
            priority: Number(f.get("priority")),
            definition,
          });
        },
        `${k.id === "policy" ? "Policy" : "Operator policy"} ${f.get("name")} set.`,
      );
      if (ok) await ctx.refresh();
    });
  }
  el.addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-delete-policy]");
    if (!b) return;
    const [path, vhost, name] = JSON.parse(b.dataset.deletePolicy);
    if (!confirm("Are you sure? This object cannot be recovered after deletion.")) return;
    const kind = KINDS.find((k) => k.path === path);
    await attempt($(`#${kind.id}-result`, el), () => api("DELETE", `${path}/${seg(vhost)}/${seg(name)}`), `Deleted ${name}.`);
    await ctx.refresh();
  });
  return {
    async update() {
      for (const k of KINDS) {
        table(
          $(`#${k.path}-table`, el),
          [
            { title: "Virtual host", value: (p) => p.vhost },
            { title: "Name", value: (p) => p.name, wrap: true },
            { title: "Pattern", value: (p) => p.pattern, wrap: true },
            { title: "Apply to", value: (p) => p["apply-to"] },
            { title: "Definition", value: (p) => json(p.definition), wrap: true },
            { title: "Priority", num: true, value: (p) => p.priority },
            { title: "", html: (p) => `<button type="button" class="small danger" data-delete-policy="${esc(JSON.stringify([k.path, p.vhost, p.name]))}">Delete</button>` },
          ],
          await api("GET", k.path),
          k.id === "policy" ? "No policies" : "No operator policies",
          (p) => `${p.vhost}|${p.name}`,
        );
      }
    },
  };
}
