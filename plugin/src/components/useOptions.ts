import { useEffect, useState } from 'react';
import { SelectableValue } from '@grafana/data';

export interface LoadedOptions {
  options: Array<SelectableValue<string>>;
  loading: boolean;
  error?: string;
}

/** Loads dropdown options once per loader; a failure becomes a message instead of an empty list. */
export function useOptions(load: () => Promise<Array<SelectableValue<string>>>, deps: unknown[]): LoadedOptions {
  const [state, setState] = useState<LoadedOptions>({ options: [], loading: true });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (options) => live && setState({ options, loading: false }),
      (err: unknown) =>
        live && setState({ options: [], loading: false, error: err instanceof Error ? err.message : String(err) })
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}
