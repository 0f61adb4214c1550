// The argument editor of RabbitMQ's forms: rows of key = value with a type, a new empty row once
// the last one is used, and helper links that fill a row with a known argument and its type.

/** RabbitMQ 3.10's helper links for a new queue, by queue type: [label, key, type, value?]. */
export const QUEUE_HELPERS = {
  common: [
    ["Auto expire", "x-expires", "number"],
    ["Message TTL", "x-message-ttl", "number"],
    ["Overflow behaviour", "x-overflow", "string"],
    ["Single active consumer", "x-single-active-consumer", "boolean"],
    ["Dead letter exchange", "x-dead-letter-exchange", "string"],
    ["Dead letter routing key", "x-dead-letter-routing-key", "string"],
    ["Max length", "x-max-length", "number"],
    ["Max length bytes", "x-max-length-bytes", "number"],
  ],
  classic: [
    ["Maximum priority", "x-max-priority", "number"],
    ["Lazy mode", "x-queue-mode", "string", "lazy"],
    ["Version", "x-queue-version", "number"],
    ["Master locator", "x-queue-master-locator", "string"],
  ],
  quorum: [
    ["Delivery limit", "x-delivery-limit", "number"],
    ["Initial cluster size", "x-quorum-initial-group-size", "number"],
    ["Dead letter strategy", "x-dead-letter-strategy", "string"],
    ["Leader locator", "x-queue-leader-locator", "string"],
  ],
  stream: [
    ["Max time retention", "x-max-age", "string"],
    ["Max segment size in bytes", "x-stream-max-segment-size-bytes", "number"],
    ["Initial cluster size", "x-initial-cluster-size", "number"],
    ["Leader locator", "x-queue-leader-locator", "string"],
  ],
};

export const EXCHANGE_HELPERS = [["Alternate exchange", "alternate-exchange", "string"]];

const TYPES = [
  ["string", "String"],
  ["number", "Number"],
  ["boolean", "Boolean"],
  ["list", "List"],
];

const row = () =>
  `<div class="arg-row"><input class="arg-key" aria-label="argument name"> = <input class="arg-value" aria-label="argument value"> <select class="arg-type" aria-label="argument type">${TYPES.map(([v, l]) => `<option value="${v}">${l}</option>`).join("")}</select></div>`;

/** The editor's markup; `helpers` is a list of [label, key, type, value?]. */
export function argsEditor(helpers = []) {
  const links = helpers
    .map(([label, key, type, value = ""]) => `<button type="button" class="argument-link" data-key="${key}" data-type="${type}" data-value="${value}">${label}</button>`)
    .join(" | ");
  return `<div class="args">${row()}</div>${links ? `<div class="argument-links">Add ${links}</div>` : ""}`;
}

/** Makes the editors under `root` live: a fresh row after the last one is used; helper links fill one. */
export function wireArgs(root) {
  root.addEventListener("input", (e) => {
    const rows = e.target.closest(".args");
    if (!rows) return;
    const last = rows.lastElementChild;
    if (last.querySelector(".arg-key").value !== "") last.insertAdjacentHTML("afterend", row());
  });
  root.addEventListener("click", (e) => {
    const link = e.target.closest(".argument-link");
    if (!link) return;
    const rows = link.closest("form").querySelector(".args");
    let target = [...rows.children].find((r) => r.querySelector(".arg-key").value === link.dataset.key);
    target ??= [...rows.children].find((r) => r.querySelector(".arg-key").value === "");
    target.querySelector(".arg-key").value = link.dataset.key;
    target.querySelector(".arg-type").value = link.dataset.type;
    const value = target.querySelector(".arg-value");
    if (link.dataset.value) value.value = link.dataset.value;
    if (rows.lastElementChild === target) target.insertAdjacentHTML("afterend", row());
    value.focus();
  });
}

/** The editor's rows as an arguments object, each value in its row's type; throws on a bad value. */
export function readArgs(form) {
  const out = {};
  for (const r of form.querySelectorAll(".arg-row")) {
    const key = r.querySelector(".arg-key").value.trim();
    if (key === "") continue;
    const raw = r.querySelector(".arg-value").value;
    switch (r.querySelector(".arg-type").value) {
      case "number": {
        const n = Number(raw);
        if (raw.trim() === "" || !Number.isFinite(n)) throw new Error(`${key}: ${raw} is not a number`);
        out[key] = n;
        break;
      }
      case "boolean":
        if (raw !== "true" && raw !== "false") throw new Error(`${key}: a boolean is true or false`);
        out[key] = raw === "true";
        break;
      case "list":
        out[key] = raw.split(",").map((s) => s.trim()).filter(Boolean);
        break;
      default:
        out[key] = raw;
    }
  }
  return out;
}
