// Small helpers every page uses: escaping, number formats, tables, key/value lists, results.
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
export const esc = (s) =>
  String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
export const num = (n) => (typeof n === "number" ? n.toLocaleString("en-US") : "");
export const rate = (d) => (d && typeof d.rate === "number" ? `${d.rate.toFixed(1)}/s` : "");
export function bytes(n) {
  if (typeof n !== "number") return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
export const json = (v) => JSON.stringify(v);
export const badge = (text, on = true) => (on ? `<span class="badge">${esc(text)}</span>` : "");
/** A link inside the UI: `#/queues/<vhost>/<name>`, each part percent-encoded. */
export const href = (...parts) => `#/${parts.map((p) => encodeURIComponent(p)).join("/")}`;
export const link = (text, ...parts) => `<a href="${href(...parts)}">${esc(text)}</a>`;

/**
 * Fills a <table> from rows. A column is { title, value(row) } (text) or { title, html(row) }
 * (markup the column escapes itself); `num` right-aligns it, `wrap` lets long names break.
 * `key(row)` names each <tr> (data-key) so tests and links find it.
 */
export function table(el, columns, rows, empty, key) {
  if (rows.length === 0) {
    el.innerHTML = `<tbody><tr><td class="empty">${esc(empty)}</td></tr></tbody>`;
    return;
  }
  const cls = (c) => [c.num && "num", c.wrap && "wrap", c.cls].filter(Boolean).join(" ");
  const head = columns.map((c) => `<th class="${cls(c)}">${esc(c.title)}</th>`).join("");
  const body = rows
    .map((r) => {
      const cells = columns.map((c) => `<td class="${cls(c)}">${c.html ? c.html(r) : esc(c.value(r))}</td>`).join("");
      return `<tr${key ? ` data-key="${esc(key(r))}"` : ""}>${cells}</tr>`;
    })
    .join("");
  el.innerHTML = `<thead><tr>${head}</tr></thead><tbody>${body}</tbody>`;
}

/** A two-column key/value table; values are text unless given as { html }. */
export function kv(pairs) {
  return `<table class="kv">${pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v !== null && typeof v === "object" && "html" in v ? v.html : esc(v)}</td></tr>`)
    .join("")}</table>`;
}

/** An argument or property table ({ key: value }) as RabbitMQ's UI prints one. */
export function fieldTable(obj) {
  const keys = Object.keys(obj ?? {});
  if (keys.length === 0) return '<span class="muted">none</span>';
  return kv(keys.map((k) => [k, typeof obj[k] === "object" ? json(obj[k]) : String(obj[k])]));
}

/** Writes a form's outcome under it. */
export function say(el, text, ok) {
  el.textContent = text;
  el.className = `result ${ok ? "ok" : "bad"}`;
}

/**
 * A small line chart of the recent history as inline SVG: `series` is [[label, colour, values]];
 * the newest value is on the right.
 */
export function sparkline(series, width = 600, height = 80) {
  const max = Math.max(1, ...series.flatMap(([, , vs]) => vs));
  const n = Math.max(2, ...series.map(([, , vs]) => vs.length));
  const x = (i, len) => ((n - len + i) * width) / (n - 1);
  const y = (v) => height - 2 - ((height - 4) * v) / max;
  const lines = series
    .filter(([, , vs]) => vs.length > 0)
    .map(([label, colour, vs]) => {
      const points = vs.map((v, i) => `${x(i, vs.length).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
      return `<polyline data-series="${esc(label)}" fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`;
    })
    .join("");
  return `<svg class="sparkline" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img" aria-label="message rates">${lines}</svg><div class="legend">${series
    .map(([label, colour, vs]) => `<span style="--c:${colour}">${esc(label)}: ${(vs.at(-1) ?? 0).toFixed(1)}/s</span>`)
    .join("")}</div>`;
}

/** Runs an action from a form, writing its outcome; returns whether it worked. */
export async function attempt(resultEl, fn, okText) {
  try {
    const r = await fn();
    say(resultEl, typeof okText === "function" ? okText(r) : okText, true);
    return true;
  } catch (err) {
    say(resultEl, err.message, false);
    return false;
  }
}
