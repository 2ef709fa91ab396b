/**
 * zstd where WebAssembly cannot run (a page whose CSP forbids it): fzstd (pure JS, ~3× slower than the
 * wasm decoder), driven a slice at a time so its output stays bounded whatever the compression ratio.
 */
import { Decompress as ZstdDecompress } from 'fzstd';

/** A zstd decoder driven by its reader: ZstdWasmDecoder, or FzstdPullDecoder. */
export interface ZstdPullDecoder {
  /** gives the next input chunk (the previous one used up) */
  feed(chunk: Uint8Array): void;
  /** the next piece of output, or undefined once the fed input is used up */
  next(): Uint8Array | undefined;
  /** checks the input ended on a frame boundary */
  end(): void;
  /** releases what the decoder holds */
  free(): void;
}

/**
 * fzstd behind the pull interface. fzstd decodes every complete block of what it is pushed at once, so the
 * input goes in slices of FZSTD_SLICE bytes: a block expands to at most 128 KiB and needs at least 4 bytes
 * (an RLE block), which bounds the output one slice can release to a few MiB.
 */
export class FzstdPullDecoder implements ZstdPullDecoder {
  private readonly out: Uint8Array[] = [];
  private readonly fz = new ZstdDecompress((data) => { if (data.byteLength) this.out.push(data); });
  private chunk: Uint8Array = new Uint8Array(0);
  private off = 0;

  feed(chunk: Uint8Array): void {
    this.chunk = chunk;
    this.off = 0;
  }

  next(): Uint8Array | undefined {
    while (!this.out.length && this.off < this.chunk.byteLength) {
      const n = Math.min(FZSTD_SLICE, this.chunk.byteLength - this.off);
      this.fz.push(this.chunk.subarray(this.off, this.off + n), false);
      this.off += n;
    }
    return this.out.shift();
  }

  end(): void {
    this.fz.push(new Uint8Array(0), true);
  }

  free(): void {
    this.out.length = 0;
  }
}

const FZSTD_SLICE = 64;

