/** The PromQL of a Grafana dashboard: every panel's targets and the templating queries. */

export interface DashboardQuery {
  readonly panel: string;
  readonly expr: string;
}

interface Panel {
  title?: string;
  targets?: { expr?: string; hide?: boolean }[];
  panels?: Panel[];
}

interface Dashboard {
  panels?: Panel[];
  rows?: { panels?: Panel[] }[];
  templating?: { list?: { name: string; type: string; query?: unknown; definition?: string }[] };
}

/** Every target expression, with its panel's title, in the dashboard's order (rows and nested panels included). */
export function panelQueries(d: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const walk = (p: Panel): void => {
    for (const t of p.targets ?? []) if (t.expr !== undefined && t.hide !== true) out.push({ panel: p.title ?? "", expr: t.expr });
    for (const c of p.panels ?? []) walk(c);
  };
  for (const p of d.panels ?? []) walk(p);
  for (const r of d.rows ?? []) for (const p of r.panels ?? []) walk(p);
  return out;
}

/** The `label_values(...)` query of each query-type template variable, by variable name. */
export function templateQueries(d: Dashboard): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of d.templating?.list ?? []) {
    if (v.type !== "query") continue;
    const q = typeof v.query === "string" ? v.query : ((v.query as { query?: string } | undefined)?.query ?? v.definition);
    if (q !== undefined) out.set(v.name, q);
  }
  return out;
}

/** Grafana's `$name` / `${name}` substitution. */
export function substitute(expr: string, vars: ReadonlyMap<string, string>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => vars.get((a ?? b)!) ?? whole);
}

/** `label_values(selector, label)` → [selector, label]; `label_values(label)` → [null, label]. */
export function parseLabelValues(q: string): [selector: string | null, label: string] | null {
  const m = /^\s*label_values\(\s*(?:(.*),\s*)?(\w+)\s*\)\s*$/s.exec(q);
  return m === null ? null : [m[1] ?? null, m[2]!];
}
