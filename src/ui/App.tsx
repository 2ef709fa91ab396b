/** The application shell. The builder and inspector views mount here as they land. */
export function App() {
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 720, margin: '2rem auto', padding: '0 1rem' }}>
      <h1>docker-envs</h1>
      <p>Build and inspect Docker images from a base image plus conda packages, in your browser.</p>
    </main>
  );
}
