// The local network's front door (development and tests only): where browsers, curl and the benchmarks
// connect. It stands where DNS, TLS and the edge stand for inbound traffic:
//   - a request to http://<host>:<port>/... reaches the worker that owns <host> as https://<host>/...,
//     dispatched straight to that worker through Miniflare's entry (no intermediate worker);
//   - `x-local-network-client-cert: <hostname>` (loopback tools acting as a DVP Server) becomes
//     request.cf.tlsClientAuth the way Cloudflare reports a verified client certificate;
//   - on Deno (scripts/local-network-deno.mjs), a host's requests go to its serve.ts process as the TLS terminator
//     in front of it (nginx) forwards them: with the proxy secret, and the client-certificate verdict in headers
//     (workers/adapter/deno/tls-client-auth.ts); whatever of those headers the client sent is dropped first;
//   - the client's own CF-Connecting-IP is replaced by the network's;
//   - absolute https URLs of local hosts in the headers a browser acts on (Location, Refresh, CSP) are
//     mapped back to http://<host>:<port>, also when they name :443 explicitly (valid under L-8, AS-17).
//
// Why not a worker: under load, requests that crossed a second worker on their way in were closed by
// workerd without a response (clients saw "socket hang up" / ECONNRESET on busy keep-alive
// connections), and that hop cost more than half of the throughput; see README, "The local network".
import http from "node:http";
import net from "node:net";
import { PassThrough, Readable } from "node:stream";
import { Client } from "undici";
import { tlsClientAuthFor } from "../workers/local-network/client-certificate.mjs";

const CLIENT_CERT_HEADER = "x-local-network-client-cert";
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host"]);
const REWRITTEN = ["location", "content-security-policy", "refresh"];
/** What only the TLS terminator in front of a Deno process may say (tls-client-auth.ts), and forwarded headers. */
const TERMINATOR_HEADERS = /^(?:x-ssl-client-|x-medmij-proxy-secret$|x-real-ip$|x-forwarded-|forwarded$)/;

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * https://<local host>[:443] -> http://<local host>:<port> in a header value a browser acts on.
 * An explicit :443 is the default port of https, so it maps to the browser's port like an absent one.
 */
export function toBrowser(value, hostnames, port) {
  if (hostnames.length === 0) return value;
  // A local host, optionally with :443, and then not more of a name nor another port.
  const pattern = new RegExp(`https://(${hostnames.map(escapeRegExp).join("|")})(?::443(?!\\d))?(?![\\w.-]|:\\d)`, "g");
  return value.replace(pattern, (_m, host) => `http://${host}${port ? `:${port}` : ""}`);
}

/**
 * Kept-alive connections to workerd's entry (or to one Deno process), one request at a time each (undici Clients).
 *
 * workerd closes a kept-alive connection, without a `Connection: close`, after answering a request whose
 * body the worker did not read (workerd#960, #1741); a request the pool sends on it meanwhile is lost
 * ("other side closed"). The product leaves a body unread only when it refuses early (403 at the whitelist
 * gate, 405, 413, 415, 421, 429, a token request with a query string), so a connection that carried a body
 * and got an error status is not used again. workerd also closes idle connections after 5 s: idle ones are
 * dropped here after 4 s, before that can race a new request.
 */
class WorkerdConnections {
  #idle = [];
  #url;
  constructor(url) {
    this.#url = url;
  }

  async request(path, { method, headers, body }) {
    if (body && Number(headers["content-length"] ?? 0) > LARGE_BODY) return largeBodyRequest(new URL(this.#url), path, { method, headers, body });
    const client = this.#idle.pop() ?? new Client(this.#url, { pipelining: 1, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 4_000 });
    let answer;
    try {
      answer = await client.request({ path, method, headers, body });
    } catch (e) {
      client.destroy();
      throw e;
    }
    const reusable = !(body && answer.statusCode >= 400);
    let settled = false;
    const done = (ok) => {
      if (settled) return;
      settled = true;
      if (ok && reusable && !client.destroyed && !client.closed) this.#idle.push(client);
      else client.destroy();
    };
    answer.body.once("end", () => done(true));
    answer.body.once("error", () => done(false));
    answer.body.once("close", () => done(answer.body.readableEnded));
    return answer;
  }

  async close() {
    await Promise.all(this.#idle.splice(0).map((c) => c.close()));
  }
}

/** The worker stopped reading a request body and workerd closed the connection without an answer. */
class BodyRefused extends Error {
  bodyRefused = true;
  constructor() {
    super("the worker did not read the request body");
  }
}

/** Bodies above this size go to workerd on a connection of their own (largeBodyRequest). */
const LARGE_BODY = 1024 * 1024;

/**
 * A request with a large body, on a fresh connection read by hand, so that a worker's early refusal reaches the
 * client as the edge delivers it (issue 19 #4: a 50 MB publication to Registratie is a 413, not a 502).
 *
 * A worker that refuses a body before reading it all (413 at its size cap, 403 at the whitelist gate) answers, and
 * workerd closes the connection with the rest of the body unread, which the kernel turns into a reset. The answer
 * arrived before the reset and stays readable, but undici (and node:http's client) reads it only after the failed
 * write of the body has destroyed the socket: measured, about half of such answers were lost ("write ECONNRESET",
 * a 502 here). Here every byte is taken as it arrives, a failed write of the body does not end the reading, and the
 * reset after a complete answer is no error; the rest of the client's body is dropped. Sometimes workerd resets the
 * connection before its answer leaves at all (nothing arrives, measured): the worker refused the body before reading
 * it, and the front door answers 413 Payload Too Large itself, as the edge does.
 */
function largeBodyRequest(entry, path, { method, headers, body }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(entry.port), entry.hostname);
    // A failed write of the body (the peer has reset the connection) must not destroy the socket while the answer
    // that came before the reset still waits in the kernel: Node destroys it at once and never reads it. Until the
    // answer is read, that destruction waits for the read side, which delivers the answer, then the reset.
    const destroy = socket.destroy.bind(socket);
    let writeFailed;
    socket.destroy = (e) => {
      if (e && e.syscall === "write" && !answer) {
        writeFailed ??= e;
        stopUpload();
        // No answer within a moment: workerd dropped it with the connection (it does, measured: the reset can
        // come before the answer is on the wire). The worker refused the body before reading it: 413, as the edge.
        setTimeout(() => {
          if (answer) return;
          destroy();
          reject(new BodyRefused());
        }, 250).unref();
        return socket;
      }
      return destroy(e);
    };
    const head = [`${method} ${path} HTTP/1.1`, `host: ${entry.host}`, "connection: close"];
    for (const [k, v] of Object.entries(headers)) for (const value of [].concat(v)) head.push(`${k}: ${value}`);
    let buffered = Buffer.alloc(0);
    let answer;
    let remaining = Infinity;
    const out = new PassThrough();
    const stopUpload = () => {
      body.unpipe?.(socket);
      body.removeAllListeners("data");
      body.resume?.();
    };
    const finish = () => {
      stopUpload();
      out.end();
      destroy();
    };
    socket.on("connect", () => {
      socket.write(`${head.join("\r\n")}\r\n\r\n`);
      // One chunk at a time, and a turn of the event loop (its poll for incoming data) before the next: a write into
      // a connection the peer has already reset would destroy the socket before the answer waiting in it is read.
      body.on("data", (chunk) => {
        body.pause();
        if (socket.destroyed) return;
        socket.write(chunk, () => setImmediate(() => !answer && !socket.destroyed && body.resume()));
      });
    });
    // A chunked answer (workerd sends some refusals so), decoded as it arrives; its last chunk ends it.
    let chunked = false;
    let chunkRaw = Buffer.alloc(0);
    const decodeChunks = () => {
      for (;;) {
        const eol = chunkRaw.indexOf("\r\n");
        if (eol < 0) return;
        const size = Number.parseInt(chunkRaw.subarray(0, eol).toString("latin1").split(";")[0], 16);
        if (Number.isNaN(size)) {
          out.destroy(new Error("malformed chunked answer"));
          destroy();
          return;
        }
        if (size === 0) {
          remaining = 0;
          finish();
          return;
        }
        if (chunkRaw.length < eol + 2 + size + 2) return;
        out.write(chunkRaw.subarray(eol + 2, eol + 2 + size));
        chunkRaw = chunkRaw.subarray(eol + 2 + size + 2);
      }
    };
    socket.on("data", (chunk) => {
      if (answer && chunked) {
        if (remaining === 0) return;
        chunkRaw = Buffer.concat([chunkRaw, chunk]);
        decodeChunks();
        return;
      }
      if (answer) {
        const take = chunk.subarray(0, remaining);
        remaining -= take.length;
        out.write(take);
        if (remaining === 0) finish();
        return;
      }
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = buffered.subarray(0, end).toString("latin1").split("\r\n");
      const statusCode = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1]);
      const answerHeaders = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === "set-cookie") (answerHeaders[name] ??= []).push(value);
        else answerHeaders[name] = name in answerHeaders ? `${answerHeaders[name]}, ${value}` : value;
      }
      // Length-delimited, chunked, or up to the close (workerd closes these connections: connection: close).
      if (/chunked/i.test(answerHeaders["transfer-encoding"] ?? "")) chunked = true;
      else if (answerHeaders["content-length"] !== undefined) remaining = Number(answerHeaders["content-length"]);
      answer = { statusCode, headers: answerHeaders, body: out };
      resolve(answer);
      const rest = buffered.subarray(end + 4);
      buffered = Buffer.alloc(0);
      if (rest.length > 0 || remaining === 0) socket.emit("data", rest);
    });
    socket.on("end", () => {
      if (!answer) return reject(new Error("workerd closed the connection without an answer"));
      if (chunked && remaining !== 0) out.destroy(new Error("the connection closed within a chunked answer"));
      finish();
    });
    socket.on("error", (e) => {
      stopUpload();
      if (!answer) return reject(e);
      // The reset after a complete answer is how the refusal ends; within the answer it is a real failure.
      if (remaining === 0 || (remaining === Infinity && !chunked)) out.end();
      else out.destroy(e);
    });
  });
}

/**
 * A Node-side peer (`nodeServices`) answers a request read from `req` (node:http) for `url`, with `headers`:
 * status, headers for node:http (Set-Cookie as a list) and the body as a stream.
 */
export async function callNodeService(fn, url, req, headers) {
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const response = await fn(new Request(url, { method: req.method, headers, body: hasBody ? Readable.toWeb(req) : undefined, duplex: "half", redirect: "manual" }));
  const out = {};
  response.headers.forEach((v, k) => {
    if (k !== "set-cookie") out[k] = v;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) out["set-cookie"] = cookies;
  return { status: response.status, headers: out, body: response.body ? Readable.fromWeb(response.body) : undefined };
}

/**
 * `selfHosted(hostname)`: the Deno process serving that host, { origin, verdict(clientHostname) } (the headers its TLS
 * terminator would add: the proxy secret and the client-certificate verdict); checked before `workerFor`.
 *
 * @param {{ port: number, host: string, entryUrl?: string, workerFor: (hostname: string) => string | undefined,
 *           nodeServiceFor: (hostname: string) => ((r: Request) => Promise<Response>) | undefined, hostnames: string[],
 *           fingerprintOf?: (hostname: string) => Promise<string>,
 *           selfHosted?: (hostname: string) => { origin: string, verdict: (clientHostname: string | undefined) => Record<string, string> } | undefined }} options
 */
export async function startFront({ port, host, entryUrl, workerFor, nodeServiceFor, hostnames, fingerprintOf, selfHosted }) {
  const workerd = new WorkerdConnections(entryUrl);
  /** One pool per Deno process. */
  const denoPools = new Map();
  const denoPool = (origin) => denoPools.get(origin) ?? denoPools.set(origin, new WorkerdConnections(origin)).get(origin);
  let publicPort = port;

  async function handle(req, res) {
    const hostname = (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) {
      const name = k.toLowerCase();
      if (HOP_BY_HOP.has(name) || name === "cf-connecting-ip" || name === CLIENT_CERT_HEADER || name.startsWith("mf-")) continue;
      headers[name] = v;
    }
    // Like the edge: the client's address is set by the network, never taken from the client.
    headers["cf-connecting-ip"] = "127.0.0.1";
    const url = `https://${hostname}${req.url}`;
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const node = nodeServiceFor(hostname);
    const deno = node ? undefined : selfHosted?.(hostname);
    let status;
    let outHeaders;
    let body;
    if (node) {
      ({ status, headers: outHeaders, body } = await callNodeService(node, url, req, headers));
    } else {
      const asClient = req.headers[CLIENT_CERT_HEADER];
      let answer;
      if (deno) {
        // As nginx.conf.sh clears them: nothing a client sends passes for the terminator's word.
        for (const name of Object.keys(headers)) if (TERMINATOR_HEADERS.test(name)) delete headers[name];
        const verdict = deno.verdict(typeof asClient === "string" ? asClient : undefined);
        answer = await denoPool(deno.origin).request(req.url, { method: req.method, headers: { ...headers, "x-forwarded-host": hostname, ...verdict }, body: hasBody ? req : undefined });
      } else {
        const worker = workerFor(hostname);
        if (!worker) {
          // An unknown host is what a failed DNS lookup would be: the caller gets nothing useful.
          res.writeHead(502, { "content-type": "text/plain; charset=utf-8" }).end(`local network: no host ${hostname}\n`);
          return;
        }
        const mf = { "MF-Original-URL": url, "MF-Route-Override": worker };
        if (typeof asClient === "string") mf["MF-CF-Blob"] = JSON.stringify(tlsClientAuthFor(asClient, await fingerprintOf(asClient)));
        answer = await workerd.request(req.url, { method: req.method, headers: { ...headers, ...mf }, body: hasBody ? req : undefined });
      }
      status = answer.statusCode;
      outHeaders = {};
      for (const [k, v] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(k)) outHeaders[k] = v;
      body = answer.body;
    }
    for (const name of REWRITTEN) {
      const v = outHeaders[name];
      if (typeof v === "string") outHeaders[name] = toBrowser(v, hostnames, publicPort);
    }
    res.writeHead(status, outHeaders);
    if (!body || req.method === "HEAD") {
      body?.resume?.();
      res.end();
      return;
    }
    body.on("error", () => res.destroy());
    body.pipe(res);
  }

  const server = http.createServer({ keepAlive: true, keepAliveTimeout: 65_000, requestTimeout: 120_000 }, (req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent && e?.bodyRefused) res.writeHead(413, { "content-type": "text/plain; charset=utf-8", connection: "close" }).end("Payload Too Large\n");
      else if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain; charset=utf-8" }).end(`local network: ${e?.message ?? e}\n`);
      else res.destroy();
    });
  });
  // Idle connections are kept longer than clients keep theirs (Node's agents default to a few seconds).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise((resolve) => server.listen(port, host, resolve));
  publicPort = server.address().port;
  return {
    port: publicPort,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections?.();
      await workerd.close();
      await Promise.all([...denoPools.values()].map((p) => p.close()));
    },
  };
}
