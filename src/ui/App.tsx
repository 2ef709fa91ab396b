/** The application shell: a header with the views (Inspect, Build) and the active view. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useCompareStore } from '../state/compare-store';
import { BuildForm } from './build/BuildForm';
import { CompareView } from './compare/CompareView';
import { Inspector } from './inspector/Inspector';
import { CachePanel } from './cache/CachePanel';
import { HistoryList } from './history/HistoryList';
import './app.css';

const queryClient = new QueryClient({ defaultOptions: { queries: { refetchOnWindowFocus: false } } });

type View = 'inspect' | 'build' | 'compare' | 'cache';

/** The app: header, view switcher and the current view. */
export function App() {
  // a share link (#share=…) opens the Build view, which reads it
  const shared = () => location.hash.startsWith('#share=');
  const [view, setView] = useState<View>(shared() ? 'build' : 'inspect');
  // the Build view stays mounted once opened: a running save and what was typed survive a look at Inspect
  const [buildOpened, setBuildOpened] = useState(view === 'build');
  const show = (v: View) => { setView(v); if (v === 'build') setBuildOpened(true); };
  useEffect(() => {
    const onHash = () => { if (location.hash.startsWith('#share=')) { setView('build'); setBuildOpened(true); } };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  // another view fed an image to compare (useCompareStore.compareWith): show the Compare view
  useEffect(() => useCompareStore.subscribe((s, before) => { if (s.revealed !== before.revealed) setView('compare'); }), []);
  return (
    <QueryClientProvider client={queryClient}>
      <header className="app-header">
        <h1>docker-envs</h1>
        <nav aria-label="Views" className="app-nav">
          <button type="button" aria-pressed={view === 'inspect'} onClick={() => show('inspect')}>Inspect</button>
          <button type="button" aria-pressed={view === 'build'} onClick={() => show('build')}>Build</button>
          <button type="button" aria-pressed={view === 'compare'} onClick={() => show('compare')}>Compare</button>
          <button type="button" aria-pressed={view === 'cache'} onClick={() => show('cache')}>Cache &amp; history</button>
        </nav>
        <p className="app-tagline">Build and inspect Docker images from a base image plus conda packages, in your browser. Nothing is uploaded.</p>
      </header>
      <main className="app-main">
        {view === 'inspect' && <Inspector />}
        {view === 'compare' && <CompareView />}
        {view === 'cache' && <><HistoryList openInspector={() => show('inspect')} /><CachePanel /></>}
        {buildOpened && (
          <div hidden={view !== 'build'}>
            <BuildForm openInspector={() => show('inspect')} />
          </div>
        )}
      </main>
    </QueryClientProvider>
  );
}
