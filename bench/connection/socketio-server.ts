// Socket.IO server for the connection benchmark, configured with the same heartbeat as Lifeline: the server pings
// every pingInterval (4 s) and drops a client that has not answered pingInterval + pingTimeout (16 s) after its last
// pong. WebSocket transport only, as the load generator uses. Engine.IO keeps two setTimeout timers per connection
// and re-arms them on every heartbeat: that is the cost this benchmark puts next to Lifeline's.
//
// Usage: node --import tsx bench/connection/socketio-server.ts [--ping-interval 4000] [--ping-timeout 12000]
// Prints {"event":"listening","url":"http://127.0.0.1:PORT"} on stdout when ready.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';

const { values } = parseArgs({
  options: {
    'ping-interval': { type: 'string', default: '4000' },
    'ping-timeout': { type: 'string', default: '12000' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const http = createServer();
const io = new Server(http, {
  pingInterval: Number(values['ping-interval']),
  pingTimeout: Number(values['ping-timeout']),
  transports: ['websocket'],
  serveClient: false,
});
io.on('connection', (socket) => {
  // The equivalent of Lifeline's Welcome: one message on connect.
  socket.emit('welcome', { agentId: socket.id });
});

http.listen(Number(values.port), values.host, () => {
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://${values.host}:${port}` })}\n`);
});

function shutdown(): void {
  io.disconnectSockets(true);
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
