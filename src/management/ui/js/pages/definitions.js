// Definitions: export (a download of GET /api/definitions) and import (an uploaded file, POSTed
// with ?report=true so the page can say what was imported, kept with a warning, or refused).
import { api, seg } from "../api.js";
import { $, esc, num } from "../dom.js";

export async function mount(el, _args, ctx) {
  const vhosts = await ctx.vhosts();
  const vhostSelect = `<label>Virtual host <select name="vhost"><option value="">All</option>${vhosts.map((v) => `<option>${esc(v)}</option>`).join("")}</select></label>`;
  el.innerHTML = `
    <div class="card"><h2>Export definitions</h2>
      <form id="export-form" class="grid">${vhostSelect}
        <label>Filename <input name="filename" value="warren-definitions.json"></label>
        <button type="submit">Download broker definitions</button>
        <p class="result" id="export-result" role="status"></p>
      </form></div>
    <div class="card"><h2>Import definitions</h2>
      <form id="import-form" class="grid">${vhostSelect}
        <label>Definitions file <input name="file" type="file" accept=".json,application/json" required></label>
        <button type="submit">Upload broker definitions</button>
      </form>
      <div id="import-result" role="status"></div></div>`;

  $("#export-form", el).addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    try {
      const defs = await api("GET", f.get("vhost") ? `definitions/${seg(f.get("vhost"))}` : "definitions");
      const url = URL.createObjectURL(new Blob([JSON.stringify(defs, null, 2)], { type: "application/json" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = f.get("filename") || "warren-definitions.json";
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      $("#export-result", el).textContent = "Definitions downloaded.";
      $("#export-result", el).className = "result ok";
    } catch (err) {
      $("#export-result", el).textContent = err.message;
      $("#export-result", el).className = "result bad";
    }
  });

  $("#import-form", el).addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const out = $("#import-result", el);
    let body;
    try {
      body = JSON.parse(await f.get("file").text());
    } catch {
      out.innerHTML = '<p class="error">The file is not JSON.</p>';
      return;
    }
    try {
      const report = await api("POST", `${f.get("vhost") ? `definitions/${seg(f.get("vhost"))}` : "definitions"}?report=true`, body);
      out.innerHTML = summary(report);
    } catch (err) {
      out.innerHTML = `<p class="error">Import refused.</p><pre class="error">${esc(err.message)}</pre>`;
    }
    ctx.vhostsChanged();
  });
  return {};
}

/** What an import report says: counts per section, warnings, refusals. */
function summary(r) {
  const counts = Object.entries(r.imported ?? {}).filter(([, n]) => n > 0);
  return `<p class="ok">Definitions imported.</p>
    <table class="kv" id="import-summary">${counts.map(([k, n]) => `<tr><th>${esc(k.replace("_", " "))}</th><td class="num">${num(n)}</td></tr>`).join("") || '<tr><td class="empty">Nothing imported</td></tr>'}</table>
    ${r.warnings?.length ? `<h3>Warnings</h3><ul class="warnings">${r.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : ""}
    ${r.refused?.length ? `<h3>Refused</h3><ul class="refused">${r.refused.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : ""}`;
}
