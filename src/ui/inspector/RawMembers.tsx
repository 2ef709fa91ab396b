/** The raw members of the archive tar, with the metadata ones (manifest.json, index.json...) readable as JSON. */
import type { ArchiveOverview } from '../../core/inspect/session';
import { formatBytes } from '../../core/inspect/format';
import { useMember } from '../../queries/inspect-queries';
import { useInspectorStore } from '../../state/inspector-store';

function pretty(text: string): string {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

/** Member list on the left, the chosen member's text on the right. */
export function RawMembers({ id, overview }: { id: number; overview: ArchiveOverview }) {
  const member = useInspectorStore((s) => s.member);
  const selectMember = useInspectorStore((s) => s.selectMember);
  const meta = overview.members.filter((m) => m.metadata);
  const shown = member ?? (meta.find((m) => m.name.replace(/^\.\//, '') === 'manifest.json') ?? meta[0])?.name;
  const q = useMember(id, shown);
  if (overview.members.length === 0) return <p className="muted">Opened from a folder: there are no tar members to show.</p>;
  return (
    <div className="raw">
      <ul className="member-list" aria-label="Archive members">
        {overview.members.map((m) => (
          <li key={m.name}>
            {m.metadata
              ? <button type="button" className={`link${m.name === shown ? ' current' : ''}`} onClick={() => selectMember(m.name)}>{m.name}</button>
              : <span className="muted">{m.name}</span>}
            <span className="muted small"> {m.type === 'directory' ? 'dir' : formatBytes(m.size)}</span>
          </li>
        ))}
      </ul>
      <pre className="json" data-testid="raw-member" role="region" aria-label={shown ? `Contents of ${shown}` : 'Member contents'} tabIndex={0}>
        {q.isPending ? (shown ? 'Loading…' : 'No metadata member') : q.isError ? String(q.error) : pretty(q.data)}
      </pre>
    </div>
  );
}
