import { ScopedVars, TypedVariableModel } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

export interface FakeVariable {
  name: string;
  /** The variable's current value: one value, several, or "$__all". */
  current: string | string[];
  /** Every option, used when "All" is selected without a custom all-value (as Grafana does). */
  options?: string[];
}

// Grafana's variable syntaxes: $name, [[name]] and ${name} / ${name:format}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g;

/**
 * The part of Grafana's TemplateSrv a data source uses (replace with a format function, getVariables),
 * with Grafana's expansion rules for scoped variables, multi-values and "All".
 */
export class FakeTemplateSrv implements TemplateSrv {
  constructor(private readonly variables: FakeVariable[] = []) {}

  getVariables(): TypedVariableModel[] {
    return this.variables.map((v) => ({ name: v.name, type: 'custom' }) as unknown as TypedVariableModel);
  }

  replace(target?: string, scopedVars?: ScopedVars, format?: string | Function): string {
    if (!target) {
      return target ?? '';
    }
    return target.replace(VARIABLE, (match, v1, v2, _f2, v3) => {
      const name = v1 ?? v2 ?? v3;
      const scoped = scopedVars?.[name];
      const variable = this.variables.find((v) => v.name === name);
      if (!scoped && !variable) {
        return match;
      }
      let value: unknown = scoped ? scoped.value : variable!.current;
      if (value === '$__all') {
        value = variable?.options ?? [];
      }
      if (typeof format === 'function') {
        return format(value, variable);
      }
      return Array.isArray(value) ? `{${value.join(',')}}` : String(value);
    });
  }

  containsTemplate(target?: string): boolean {
    return Boolean(target && new RegExp(VARIABLE.source).test(target));
  }

  updateTimeRange(): void {}
}
