/** Registry credentials, kept in this tab's memory only (never stored, never put in the URL). */
import { useEffect, useRef, useState } from 'react';

/** A username and password (or token). */
export interface Creds { username: string; password: string }

/** A modal dialog; `onClose(undefined)` cancels, `onClose(null)` signs out. */
export function CredentialsDialog({ initial, onClose }: { initial?: Creds; onClose: (c: Creds | null | undefined) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [username, setUsername] = useState(initial?.username ?? '');
  const [password, setPassword] = useState('');
  useEffect(() => {
    // the dialog is unmounted rather than closed, so the focus goes back to what opened it by hand
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    ref.current?.showModal();
    return () => { if (opener?.isConnected) opener.focus(); };
  }, []);
  return (
    <dialog ref={ref} className="creds-dialog" onCancel={() => onClose(undefined)} aria-labelledby="creds-title">
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); onClose(username ? { username, password } : null); }}>
        <h3 id="creds-title">Registry credentials</h3>
        <p className="muted">Used for this tab's pulls and pushes only; they are sent to the registry through the proxy and never stored.</p>
        <label>Username <input autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} /></label>
        <label>Password or token <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} /></label>
        <div className="dialog-buttons">
          <button type="button" onClick={() => onClose(undefined)}>Cancel</button>
          {initial && <button type="button" onClick={() => onClose(null)}>Sign out</button>}
          <button type="submit">Use</button>
        </div>
      </form>
    </dialog>
  );
}
