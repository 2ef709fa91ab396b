/**
 * A stand-in Worker for bridge tests: real comlink over a real MessageChannel. The "worker" side is
 * `expose(api, port1)` in the same thread; `terminate()` closes the channel, after which the worker side
 * never answers again, exactly as comlink sees a terminated Worker.
 */
import { expose } from 'comlink';
import { WorkerBridge, type WorkerBridgeOptions } from '../bridge/worker-bridge';
import { CoreError } from '../core/errors';

/** The API each stand-in worker serves; `id` tells the workers apart (1 for the first one started). */
export function testWorkerApi(id: number) {
  return {
    /** which worker answered */
    id: () => id,
    /** answers `ms` after `ms` milliseconds */
    wait: (ms: number) => new Promise<number>((r) => setTimeout(() => r(ms), ms)),
    /** never answers (a long job) */
    never: () => new Promise<never>(() => {}),
    /** throws a CoreError coded 'invalid-argument' */
    fail: (): never => { throw new CoreError('invalid-argument', 'bad input'); },
  };
}
/** The stand-in workers' API. */
export type TestWorkerApi = ReturnType<typeof testWorkerApi>;

/** The methods comlink's wrap() and WorkerBridge use of a Worker, over a MessageChannel. */
export class ChannelWorker {
  terminated = false;
  private readonly inside: MessagePort;
  private readonly outside: MessagePort;
  constructor(readonly id: number) {
    const { port1, port2 } = new MessageChannel();
    expose(testWorkerApi(id), port1);
    this.inside = port1;
    this.outside = port2;
  }
  postMessage(message: unknown, transfer: Transferable[] = []) { this.outside.postMessage(message, transfer); }
  addEventListener(type: string, listener: EventListenerOrEventListenerObject) { this.outside.addEventListener(type, listener); }
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject) { this.outside.removeEventListener(type, listener); }
  start() { this.outside.start(); }
  terminate() { this.terminated = true; this.inside.close(); }
}

/** A WorkerBridge over stand-in workers, and the workers it started, in order. Terminate it after the test. */
export function channelBridge(options?: WorkerBridgeOptions): { bridge: WorkerBridge<TestWorkerApi>; workers: ChannelWorker[] } {
  const workers: ChannelWorker[] = [];
  const bridge = new WorkerBridge<TestWorkerApi>(() => {
    const w = new ChannelWorker(workers.length + 1);
    workers.push(w);
    return w as unknown as Worker;
  }, { name: 'test', ...options });
  return { bridge, workers };
}
