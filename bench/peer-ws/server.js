// The study notes' sample chat server (seeds 002, "server.js"), recreated as the benchmark peer:
// npm `ws` 8.x, a welcome on connect, every received message broadcast to every OPEN client.
// Differences from the notes, all benchmark plumbing: binds 127.0.0.1 on a port from argv, no
// per-message console.log (it would dominate the cost) and no stdin notice prompt. A plain HTTP
// GET /poll answers with the last broadcast as JSON, so figure 5 can measure a polling round trip.
"use strict";
const http = require("http");
const WebSocket = require("ws");

const port = Number(process.argv[2] || 9601);
let last = "[]";
const httpServer = http.createServer((req, res) => {
  if (req.method === "GET" && req.url.startsWith("/poll")) {
    // setHeader, not writeHead: Node then adds Content-Length instead of chunking.
    res.setHeader("Content-Type", "application/json");
    res.setHeader("Cache-Control", "no-store");
    res.end(last);
    return;
  }
  res.writeHead(404);
  res.end();
});
const server = new WebSocket.Server({ server: httpServer });

server.on("connection", (ws) => {
  ws.on("message", (message) => {
    last = "[" + message + "]";
    // 서버로부터 받은 메시지를 모든 클라이언트에게 전송 — exactly as in the notes. With ws 8 the
    // message is a Buffer, so this goes out as a binary frame (the notes' page turns the Blob back
    // into text); the bytes are the sender's, unchanged.
    server.clients.forEach((client) => {
      if (client.readyState === WebSocket.OPEN) {
        client.send(message);
      }
    });
  });
  ws.send("모의 채팅 서버에 오신 것을 환영합니다!");
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`peer-ws listening on ws://127.0.0.1:${port} (pid ${process.pid})`);
});
process.on("SIGTERM", () => process.exit(0));
