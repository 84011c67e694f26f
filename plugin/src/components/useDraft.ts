import { useState } from 'react';

/**
 * Text being typed into a field whose committed value lives in the query: edits stay local until the
 * field is committed (on blur), and a new committed value from outside replaces the draft.
 */
export function useDraft(committed: string): [string, (text: string) => void] {
  const [draft, setDraft] = useState({ committed, text: committed });
  const text = draft.committed === committed ? draft.text : committed;
  return [text, (next: string) => setDraft({ committed, text: next })];
}
