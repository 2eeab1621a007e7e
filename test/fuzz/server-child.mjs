// The signaling server in a process of its own, for the fuzz test: the parent sends frames over
// WebSockets and asks this process for its memory (after a full GC) over IPC. Runs the built
// server code (dist/), exactly what `npm start` runs. Started with --expose-gc.
import { buildApp } from '../../dist/signaling/app.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const app = await buildApp({ ...options, logger: { level: 'error' } });
await app.listen({ host: '127.0.0.1', port: 0 });
process.send({ type: 'listening', port: app.server.address().port });

process.on('message', async (message) => {
  if (message.type === 'memory') {
    for (let round = 0; round < 4; round += 1) globalThis.gc();
    const { heapUsed, rss } = process.memoryUsage();
    // Members in rooms, as the operator's metrics count them.
    const members = Number(/^parley_room_members (\d+)$/m.exec(await app.metrics.getSingleMetricAsString('parley_room_members'))?.[1]);
    process.send({ type: 'memory', heapUsed, rss, connections: app.signalingSockets.clients.size, members });
  } else if (message.type === 'close') {
    await app.close();
    process.exit(0);
  }
});
