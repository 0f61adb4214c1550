// Small numeric helpers and formatting for the results table.

export function median(values) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export function fmtInt(n) {
  return Math.round(n).toLocaleString("en-US");
}

/** Three significant digits, no exponent, thousands separators for big numbers. */
export function fmtNum(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return "n/a";
  const a = Math.abs(n);
  if (a >= 1000) return fmtInt(n);
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

export function fmtMiB(bytes) {
  if (bytes === null || bytes === undefined) return "n/a";
  return (bytes / 1048576).toFixed(0);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolve with p's value, or reject after ms (calling onTimeout first). */
export function withTimeout(p, ms, what, onTimeout) {
  let timer;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => {
        try {
          onTimeout && onTimeout();
        } catch {
          /* ignore */
        }
        reject(new Error(`${what}: timed out after ${ms} ms`));
      }, ms);
    }),
  ]);
}
