/**
 * The Compare view: image A and image B (tarballs or references), compared in the compare worker by the
 * core's compareImages when the user asks; cancelled when either side changes or on Cancel.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { compareQuery } from '../../queries/compare-queries';
import { compareInputKey, useCompareStore } from '../../state/compare-store';
import { CompareResult } from './CompareResult';
import { CompareSide } from './CompareSide';

/** The Compare view. */
export function CompareView() {
  const { a, b } = useCompareStore();
  const key = `${compareInputKey(a)} ${compareInputKey(b)}`;
  const [asked, setAsked] = useState<string>();
  const query = useQuery(compareQuery(a, b, asked === key));
  const client = useQueryClient();
  const running = asked === key && query.isFetching;
  const state = asked !== key ? 'idle' : running ? 'comparing' : query.error ? 'error' : query.data ? 'done' : 'idle';
  return (
    <div className="compare-view">
      <section className="card" aria-labelledby="compare-title">
        <h2 id="compare-title">Compare two images</h2>
        <p className="muted small">Packages added, removed and changed, config changes and the layers the two share. Tarballs are read here; nothing is uploaded.</p>
        <div className="compare-sides">
          <CompareSide side="a" />
          <CompareSide side="b" />
        </div>
        <div className="actions">
          <button type="button" data-testid="compare-button" disabled={!a || !b || running} onClick={() => setAsked(key)}>Compare</button>
          {running && <button type="button" data-testid="compare-cancel" onClick={() => { void client.cancelQueries({ queryKey: ['compare'] }); setAsked(undefined); }}>Cancel</button>}
        </div>
        <div role="status" aria-live="polite" data-testid="compare-status" data-state={state}>
          {running && <p>Comparing… (reading both images&apos; layers and conda records)</p>}
          {state === 'error' && <pre className="error" data-testid="compare-error">{(query.error as Error).message}</pre>}
        </div>
      </section>
      {state === 'done' && query.data && <CompareResult c={query.data} />}
    </div>
  );
}
