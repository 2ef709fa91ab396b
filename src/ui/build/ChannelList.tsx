/**
 * The channels of a build, in priority order: add, remove and reorder with buttons (keyboard reachable),
 * a local channel folder through the directory picker. Each row shows its own error: a malformed name
 * before anything is fetched, an unreachable channel after the preview tried it.
 */
import { useRef } from 'react';
import { useBuildDraft } from '../../state/build-draft';
import type { DraftErrors } from '../../state/draft-check';
import { buttonLabelled, changeKeepingFocus, fieldOfRow } from './row-focus';

type DirectoryPicker = (o?: object) => Promise<FileSystemDirectoryHandle>;

/** The channel rows and their buttons. */
export function ChannelList({ errors }: { errors: DraftErrors }) {
  const { channels, addChannel, addFolderChannel, setChannel, removeChannel, moveChannel } = useBuildDraft();
  const picker = (window as unknown as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
  const list = useRef<HTMLOListElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  // a moved row keeps the focus on its arrow (or the other one, at an end); a removed row passes it to the next
  const move = (id: number, i: number, by: -1 | 1) => changeKeepingFocus(() => moveChannel(id, by), list.current,
    (rows) => buttonLabelled(`Move channel ${i + 1 + by} ${by < 0 ? 'up' : 'down'}`)(rows) ?? buttonLabelled(`Move channel ${i + 1 + by} ${by < 0 ? 'down' : 'up'}`)(rows));
  const remove = (id: number, i: number) => changeKeepingFocus(() => removeChannel(id), list.current, (rows) => fieldOfRow(i)(rows) ?? addButton.current);
  async function pickFolder() {
    try {
      addFolderChannel(await picker!({ mode: 'read' }));
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    }
  }
  return (
    <fieldset className="rows" data-testid="channels">
      <legend>Channels (first wins)</legend>
      <ol className="plain" ref={list}>
        {channels.map((c, i) => {
          const error = errors[`channel:${c.id}`];
          const id = `channel-${c.id}`;
          return (
            <li key={c.id} className="row">
              <label htmlFor={id} className="visually-hidden">Channel {i + 1}</label>
              <input id={id} data-testid="channel-input" value={c.value} readOnly={c.kind === 'folder'} spellCheck={false}
                onChange={(e) => setChannel(c.id, e.target.value)} placeholder="conda-forge, https://host/channel"
                aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
              {c.kind === 'folder' && <span className="chip">local folder</span>}
              <button type="button" aria-label={`Move channel ${i + 1} up`} disabled={i === 0} onClick={() => move(c.id, i, -1)}>↑</button>
              <button type="button" aria-label={`Move channel ${i + 1} down`} disabled={i === channels.length - 1} onClick={() => move(c.id, i, 1)}>↓</button>
              <button type="button" aria-label={`Remove channel ${i + 1}`} onClick={() => remove(c.id, i)}>✕</button>
              {error && <p className="field-error" id={`${id}-error`} data-testid="channel-error">{error}</p>}
            </li>
          );
        })}
      </ol>
      {errors.channels && <p className="field-error">{errors.channels}</p>}
      <button type="button" ref={addButton} data-testid="add-channel" onClick={() => changeKeepingFocus(() => addChannel(), list.current, fieldOfRow(Infinity))}>Add a channel</button>
      {picker && <button type="button" onClick={() => void pickFolder()}>Add a local channel folder…</button>}
    </fieldset>
  );
}
