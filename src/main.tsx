/** Browser entry: mounts the React app into #root. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { sweepStrayCache } from './bridge/cache-bridge';

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root element');
createRoot(rootElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// files the cache's folders hold outside its catalog (a tab closed or a worker killed mid-write) go once they are old
void sweepStrayCache().catch(() => {});
