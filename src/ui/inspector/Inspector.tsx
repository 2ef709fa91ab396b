/**
 * The inspector view: pick or drop an image archive (or an OCI layout folder, or the built-in sample),
 * then the archive's images, layers and files. Publishes its progress for the benchmark:
 * `document.body.dataset.inspector` = 'opening' | 'layers' | 'indexed' | 'error', with performance marks
 * 'inspector:layers-shown' and 'inspector:indexed'.
 */
import { useEffect, useState, type DragEvent } from 'react';
import type { WorkerError } from '../../bridge/inspect-bridge';
import { closeArchive, useArchive, warmInspector } from '../../queries/inspect-queries';
import { useInspectorStore } from '../../state/inspector-store';
import { ArchiveView } from './ArchiveView';
import { describeError } from './describe-error';
import { setInspectorPhase } from './phase';

/** The drop zone, pickers and the opened archive. */
export function Inspector() {
  const input = useInspectorStore((s) => s.input);
  const openInput = useInspectorStore((s) => s.openInput);
  const archive = useArchive(input);
  const [dragging, setDragging] = useState(false);

  useEffect(warmInspector, []);
  useEffect(() => {
    if (!input) return;
    performance.clearMarks('inspector:layers-shown');
    performance.clearMarks('inspector:indexed');
    setInspectorPhase('opening');
  }, [input]);
  useEffect(() => { if (archive.isError) setInspectorPhase('error'); }, [archive.isError]);
  const opened = archive.data;
  useEffect(() => () => { if (opened) closeArchive(opened.id, opened.generation); }, [opened]);

  const openFiles = (files: FileList | null) => {
    const f = files?.[0];
    if (f) openInput({ kind: 'file', file: f });
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    openFiles(e.dataTransfer.files);
  };
  const label = input?.kind === 'file' ? input.file.name : input?.kind === 'folder' ? input.files[0]?.path.split('/')[0] : input ? 'sample.tar' : undefined;

  return (
    <div
      className={`inspector${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
      onDragLeave={(e) => { if (e.currentTarget === e.target) setDragging(false); }}
      onDrop={onDrop}
    >
      <section className="dropzone" aria-label="Open an image archive">
        <p><strong>Drop an image tarball here</strong> (<code>docker save</code>, OCI layout tar, gzip-wrapped), or</p>
        <div className="pickers">
          <label className="button">
            Choose a file…
            <input type="file" data-testid="archive-input" className="visually-hidden"
              onChange={(e) => { openFiles(e.currentTarget.files); e.currentTarget.value = ''; }} />
          </label>
          <label className="button">
            Choose an OCI layout folder…
            <input type="file" data-testid="folder-input" className="visually-hidden" {...{ webkitdirectory: '' }} multiple
              onChange={(e) => {
                const files = [...(e.currentTarget.files ?? [])].map((file) => ({ path: file.webkitRelativePath, file }));
                if (files.length) openInput({ kind: 'folder', files });
                e.currentTarget.value = '';
              }} />
          </label>
          <button type="button" className="button" onClick={() => openInput({ kind: 'sample' })}>Try a sample</button>
        </div>
        <p className="muted small">Everything happens in this tab: the file is read in place, layer bodies are not loaded.</p>
      </section>

      {input && archive.isPending && <p role="status" className="status">Opening {label}…</p>}
      {archive.isError && (
        <div role="alert" className="error" data-testid="inspector-error" data-code={(archive.error as WorkerError).code}>
          <strong>Could not open {label}.</strong> {describeError(archive.error)}
        </div>
      )}
      {archive.data && <ArchiveView key={input!.key} id={archive.data.id} overview={archive.data.overview} />}
    </div>
  );
}
