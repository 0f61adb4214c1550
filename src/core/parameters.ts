/**
 * RabbitMQ's runtime parameters (`rabbitmqctl set_parameter`, the definitions' `parameters`) and
 * global parameters (`set_global_parameter`, `global_parameters`: cluster_name …). Warren keeps
 * them so a migration loses nothing and exports them back. What a component's values must be is
 * parameter-validation.ts's; the Broker sets them through `setParameter` and applies `vhost-limits`
 * to its vhosts (`onParameter`); other readers look values up (the overview reads cluster_name).
 */
export type ParameterValue = string | number | boolean | null | ParameterValue[] | { [key: string]: ParameterValue };

export interface RuntimeParameter {
  readonly vhost: string;
  readonly component: string;
  readonly name: string;
  readonly value: ParameterValue;
}

export class RuntimeParameters {
  /** vhost \0 component \0 name → parameter, in insertion order. */
  private readonly params = new Map<string, RuntimeParameter>();
  private readonly globals = new Map<string, ParameterValue>();
  /** Called after every change, so a store can persist the definitions. */
  onChange: () => void = () => {};
  /** Called when a vhost's parameter is set (value) or cleared (undefined): the broker applies vhost limits. */
  onParameter: (vhost: string, component: string, name: string, value: ParameterValue | undefined) => void = () => {};

  /** Stores a parameter (checked by the caller); true when it is new. */
  set(p: RuntimeParameter): boolean {
    const key = `${p.vhost}\0${p.component}\0${p.name}`;
    const isNew = !this.params.has(key);
    this.params.set(key, p);
    this.onParameter(p.vhost, p.component, p.name, p.value);
    this.onChange();
    return isNew;
  }

  /** Removes a parameter; false when there was none. */
  clear(vhost: string, component: string, name: string): boolean {
    if (!this.params.delete(`${vhost}\0${component}\0${name}`)) return false;
    this.onParameter(vhost, component, name, undefined);
    this.onChange();
    return true;
  }

  get(vhost: string, component: string, name: string): RuntimeParameter | undefined {
    return this.params.get(`${vhost}\0${component}\0${name}`);
  }

  list(): RuntimeParameter[] {
    return [...this.params.values()];
  }

  /** A deleted vhost takes its parameters with it. */
  clearVhost(vhost: string): void {
    let changed = false;
    for (const [k, p] of this.params) {
      if (p.vhost === vhost) {
        this.params.delete(k);
        changed = true;
      }
    }
    if (changed) this.onChange();
  }

  setGlobal(name: string, value: ParameterValue): boolean {
    const isNew = !this.globals.has(name);
    this.globals.set(name, value);
    this.onChange();
    return isNew;
  }

  /** Removes a global parameter; false when there was none. */
  clearGlobal(name: string): boolean {
    if (!this.globals.delete(name)) return false;
    this.onChange();
    return true;
  }

  global(name: string): ParameterValue | undefined {
    return this.globals.get(name);
  }

  listGlobal(): { name: string; value: ParameterValue }[] {
    return [...this.globals].map(([name, value]) => ({ name, value }));
  }
}
