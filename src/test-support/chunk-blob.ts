/** For readers of Blobs: a Blob whose stream gives chunks of a chosen size (odd ones, tiny ones, ones larger than a reader's buffer). */
export class ChunkBlob extends Blob {
  constructor(private readonly data: Uint8Array<ArrayBuffer>, private readonly chunk: number) { super([data]); }
  override slice(start = 0, end = this.data.length): Blob {
    return new ChunkBlob(this.data.subarray(start, end), this.chunk);
  }
  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    let at = 0;
    const bytes = this.data;
    const chunk = this.chunk;
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull(c) {
        if (at >= bytes.length) c.close();
        else c.enqueue(bytes.slice(at, (at += chunk)));
      },
    });
  }
}
