import { useEffect, useState } from 'react';
import { SelectableValue } from '@grafana/data';

export interface LoadedOptions {
  options: Array<SelectableValue<string>>;
  loading: boolean;
  error?: string;
}

type Loader<S> = (source: S) => Promise<Array<SelectableValue<string>>>;

/**
 * Loads dropdown options for a source (the data source instance); a failure becomes a message instead
 * of an empty list. `load` must be stable (module-level), so only a new source triggers a reload.
 */
export function useOptions<S>(source: S, load: Loader<S>): LoadedOptions {
  const [state, setState] = useState<{ source?: S; options: Array<SelectableValue<string>>; error?: string }>({ options: [] });
  useEffect(() => {
    let live = true;
    load(source).then(
      (options) => live && setState({ source, options }),
      (err: unknown) => live && setState({ source, options: [], error: err instanceof Error ? err.message : String(err) })
    );
    return () => {
      live = false;
    };
  }, [source, load]);
  // Until this source's answer arrives, show "loading" rather than the previous source's options.
  return state.source === source ? { options: state.options, loading: false, error: state.error } : { options: [], loading: true };
}
