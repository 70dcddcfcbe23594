// A real third-party client for latch's websocket API: the graphql-ws
// library (graphql-transport-ws protocol) over the ws package. Run by
// server/ws_node_test.go as
//
//	node client.mjs <ws-url> <token>
//
// It subscribes to sessionEvents and prints one JSON line per happening:
//
//	{"connected":true}
//	{"event":{"kind":"CREATED","session":{...}}}
//	{"closed":4401,"reason":"session ended"}
//	{"error":...}   or   {"complete":true}
//
// and exits when the subscription ends: 0 after complete, 1 after an error.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node client.mjs <ws-url> <token>');
  process.exit(2);
}

const print = (v) => process.stdout.write(JSON.stringify(v) + '\n');

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: {
    connected: () => print({ connected: true }),
    closed: (ev) => print({ closed: ev.code, reason: ev.reason }),
  },
});

const query = 'subscription { sessionEvents { kind at session { id current browser os } } }';

client.subscribe({ query }, {
  next: (result) => {
    if (result.errors) print({ errors: result.errors });
    else print({ event: result.data.sessionEvents });
  },
  error: (err) => {
    // graphql-ws rejects with the CloseEvent when the socket closes.
    const e = err && typeof err === 'object' && 'code' in err ? { code: err.code, reason: err.reason } : String(err);
    print({ error: e });
    client.dispose();
    process.exitCode = 1;
  },
  complete: () => {
    print({ complete: true });
    client.dispose();
  },
});
