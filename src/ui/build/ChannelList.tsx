/**
 * The channels of a build, in priority order: add, remove and reorder with buttons (keyboard reachable),
 * a local channel folder through the directory picker. Each row shows its own error: a malformed name
 * before anything is fetched, an unreachable channel after the preview tried it.
 */
import { useBuildDraft } from '../../state/build-draft';
import type { DraftErrors } from '../../state/draft-check';

type DirectoryPicker = (o?: object) => Promise<FileSystemDirectoryHandle>;

/** The channel rows and their buttons. */
export function ChannelList({ errors }: { errors: DraftErrors }) {
  const { channels, addChannel, addFolderChannel, setChannel, removeChannel, moveChannel } = useBuildDraft();
  const picker = (window as unknown as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
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
      <ol className="plain">
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
              <button type="button" aria-label={`Move channel ${i + 1} up`} disabled={i === 0} onClick={() => moveChannel(c.id, -1)}>↑</button>
              <button type="button" aria-label={`Move channel ${i + 1} down`} disabled={i === channels.length - 1} onClick={() => moveChannel(c.id, 1)}>↓</button>
              <button type="button" aria-label={`Remove channel ${i + 1}`} onClick={() => removeChannel(c.id)}>✕</button>
              {error && <p className="field-error" id={`${id}-error`} data-testid="channel-error">{error}</p>}
            </li>
          );
        })}
      </ol>
      {errors.channels && <p className="field-error">{errors.channels}</p>}
      <button type="button" data-testid="add-channel" onClick={() => addChannel()}>Add a channel</button>
      {picker && <button type="button" onClick={() => void pickFolder()}>Add a local channel folder…</button>}
    </fieldset>
  );
}
