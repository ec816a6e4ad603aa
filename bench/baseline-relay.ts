// The baseline for bench:chat: a bare `ws` relay with no storage, no rules and no rendering. Customers
// connect to /c?chat=<n>&agent=<k>, agents to /a?agent=<k>; every customer frame is forwarded to its
// agent as is and acknowledged to the customer.
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const agents = new Map<string, WebSocket>();
const server = createServer();
const wss = new WebSocketServer({ server });

wss.on('connection', (ws, req) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const agent = url.searchParams.get('agent') ?? '';
  if (url.pathname === '/a') {
    agents.set(agent, ws);
    return;
  }
  ws.on('message', (data) => {
    const frame = String(data);
    agents.get(agent)?.send(frame);
    ws.send('{"type":"ack"}');
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'listening', port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', () => process.exit(0));
