/**
 * A process of WatchEvents clients for the fan-out scenario: `node --import tsx bench/lib/watch-worker.ts
 * <port> <watchers>`. Each watcher has its own channel (its own connection), as separate bet-makers would.
 * Says "ready" once every watcher has its snapshot; on "record" starts (afresh) timing each change from its
 * send stamp; on "report" answers "result" with the latency histogram and counts so far; exits on "exit".
 */
import type { ClientReadableStream } from '@grpc/grpc-js';
import type {
  Event,
  WatchEventsResponse,
} from '../../line-provider/src/gen/lineprovider/v1/line_provider.js';
import { connectProvider, type Provider } from './grpc.js';
import { Histogram, nowMs, unstamp } from './fanout-clock.js';

const port = Number(process.argv[2]);
const count = Number(process.argv[3]);
let hist = new Histogram();
let recording = false;
/** Only changes stamped at or after this are counted: the ones sent during the measured part. */
let from = Infinity;
let received = 0;
let gaps = 0;
let streamErrors = 0;

function watch(provider: Provider, onLive: () => void): void {
  let last = 0;
  let live = false;
  const call: ClientReadableStream<WatchEventsResponse> = provider.client.watchEvents({
    resumeInstanceId: '',
    resumeRevision: '0',
    // As bet-maker asks: a burst of changes in one message.
    maxChangesPerMessage: 256,
  });
  const onChange = (e: Event | undefined, at: number) => {
    if (e === undefined) return;
    const rev = Number(e.revision);
    if (rev !== last + 1) gaps++;
    last = rev;
    if (!recording || e.deadline === undefined) return;
    const sentAt = unstamp(e.deadline, e.coefficient);
    if (sentAt < from) return;
    received++;
    hist.add(at - sentAt);
  };
  call.on('data', (m: WatchEventsResponse) => {
    const k = m.kind;
    if (k?.$case === 'change') {
      onChange(k.value.event, nowMs());
    } else if (k?.$case === 'changes') {
      const at = nowMs();
      for (const e of k.value.events) onChange(e, at);
    } else if (k?.$case === 'header') {
      last = Number(k.value.snapshotRevision);
    } else if (k?.$case === 'snapshotEnd' && !live) {
      live = true;
      onLive();
    }
  });
  call.on('error', (err: Error & { code?: number }) => {
    if (err.code === 1) return; // CANCELLED: our own shutdown
    streamErrors++;
    // A dropped watcher starts again from a snapshot, as bet-maker would.
    setTimeout(() => watch(provider, () => undefined), 100);
  });
}

const providers = Array.from({ length: count }, () => connectProvider(port));
let liveCount = 0;
for (const p of providers) {
  watch(p, () => {
    if (++liveCount === count) process.send?.({ type: 'ready' });
  });
}

process.on('message', (m: { type: string; from?: number }) => {
  if (m.type === 'record') {
    from = m.from ?? 0;
    hist = new Histogram();
    received = 0;
    gaps = 0;
    streamErrors = 0;
    recording = true;
  } else if (m.type === 'report') {
    // Changes still arriving keep counting (and timing) until the next "record".
    process.send?.({ type: 'result', sparse: hist.sparse(), received, gaps, streamErrors });
  } else if (m.type === 'exit') {
    for (const p of providers) p.close();
    process.exit(0);
  }
});
