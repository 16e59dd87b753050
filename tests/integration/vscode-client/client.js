// A third-party client: vscode-jsonrpc's own LSP framing against minod.
//   node client.js SOCKET PROJECT NAME
// Says hello, lists sessions, creates a session running
// `echo hello-from-node`, and waits for its output and exit notifications.
// Prints one JSON summary line; exits 0 when everything was seen.
'use strict';
const net = require('net');
const rpc = require('vscode-jsonrpc/node');

const [sockPath, project, name] = process.argv.slice(2);
const timer = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, error: 'timeout' }));
  process.exit(3);
}, 60000);

const socket = net.connect(sockPath);
socket.on('error', (e) => {
  console.log(JSON.stringify({ ok: false, error: String(e) }));
  process.exit(2);
});
socket.on('connect', async () => {
  const conn = rpc.createMessageConnection(
    new rpc.StreamMessageReader(socket), new rpc.StreamMessageWriter(socket));
  const output = [];
  let seqs = [];
  let exited;
  const exitSeen = new Promise((resolve) => { exited = resolve; });
  conn.onNotification('session/output', (p) => {
    if (p.session === name) {
      output.push(Buffer.from(p.data, 'base64'));
      seqs.push(p.seq);
    }
  });
  conn.onNotification('session/exit', (p) => {
    if (p.session === name) exited(p);
  });
  conn.listen();
  try {
    const hello = await conn.sendRequest('mino/hello', { protocol: 1, client: 'vscode-jsonrpc' });
    const before = await conn.sendRequest('session/list', { all: true });
    const created = await conn.sendRequest('session/create', {
      name, project, command: ['echo', 'hello-from-node'], tty: false,
    });
    const exit = await exitSeen;
    const after = await conn.sendRequest('session/list', { all: true });
    let mismatch = null;
    try {
      await conn.sendRequest('mino/hello', { protocol: 999, client: 'vscode-jsonrpc' });
    } catch (e) {
      mismatch = { code: e.code, message: e.message };
    }
    const text = Buffer.concat(output).toString();
    const summary = {
      ok: text.includes('hello-from-node') && exit.code === 0 && created.name === name,
      hello, before: before.sessions.length, created, exit, output: text, seqs,
      after: after.sessions.map((s) => [s.name, s.status]), mismatch,
    };
    console.log(JSON.stringify(summary));
    clearTimeout(timer);
    conn.dispose();
    socket.end();
    process.exit(summary.ok ? 0 : 1);
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: String(e && e.message || e), code: e && e.code }));
    process.exit(1);
  }
});
