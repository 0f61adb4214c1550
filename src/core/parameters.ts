/**
 * RabbitMQ's runtime parameters (`rabbitmqctl set_parameter`, the definitions' `parameters`) and
 * global parameters (`set_global_parameter`, `global_parameters`: cluster_name …). Warren keeps
 * them so a migration loses nothing and exports them back; which ones it acts on is decided by
 * their readers (the management overview reads cluster_name), not here.
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

  set(p: RuntimeParameter): void {
    this.params.set(`${p.vhost}\0${p.component}\0${p.name}`, p);
    this.onChange();
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

  setGlobal(name: string, value: ParameterValue): void {
    this.globals.set(name, value);
    this.onChange();
  }

  global(name: string): ParameterValue | undefined {
    return this.globals.get(name);
  }

  listGlobal(): { name: string; value: ParameterValue }[] {
    return [...this.globals].map(([name, value]) => ({ name, value }));
  }
}
