// The local network's front door (development and tests only): where browsers, curl and the benchmarks
// connect. It stands where DNS, TLS and the edge stand for inbound traffic:
//   - a request to http://<host>:<port>/... reaches the worker that owns <host> as https://<host>/...,
//     dispatched straight to that worker through Miniflare's entry (no intermediate worker);
//   - `x-local-network-client-cert: <hostname>` (loopback tools acting as a DVP Server) becomes
//     request.cf.tlsClientAuth the way Cloudflare reports a verified client certificate;
//   - the client's own CF-Connecting-IP is replaced by the network's;
//   - absolute https URLs of local hosts in the headers a browser acts on (Location, Refresh, CSP) are
//     mapped back to http://<host>:<port>, also when they name :443 explicitly (valid under L-8, AS-17).
//
// Why not a worker: under load, requests that crossed a second worker on their way in were closed by
// workerd without a response (clients saw "socket hang up" / ECONNRESET on busy keep-alive
// connections), and that hop cost more than half of the throughput; see README, "The local network".
import http from "node:http";
import { Readable } from "node:stream";
import { Client } from "undici";
import { tlsClientAuthFor } from "../workers/local-network/client-certificate.mjs";

const CLIENT_CERT_HEADER = "x-local-network-client-cert";
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host"]);
const REWRITTEN = ["location", "content-security-policy", "refresh"];

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
 * Kept-alive connections to workerd's entry, one request at a time each (undici Clients).
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

/**
 * @param {{ port: number, host: string, entryUrl: string, workerFor: (hostname: string) => string | undefined,
 *           nodeServiceFor: (hostname: string) => ((r: Request) => Promise<Response>) | undefined, hostnames: string[],
 *           fingerprintOf: (hostname: string) => Promise<string> }} options
 */
export async function startFront({ port, host, entryUrl, workerFor, nodeServiceFor, hostnames, fingerprintOf }) {
  const workerd = new WorkerdConnections(entryUrl);
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
    let status;
    let outHeaders;
    let body;
    if (node) {
      const response = await node(new Request(url, { method: req.method, headers, body: hasBody ? Readable.toWeb(req) : undefined, duplex: "half", redirect: "manual" }));
      status = response.status;
      outHeaders = {};
      response.headers.forEach((v, k) => {
        if (k !== "set-cookie") outHeaders[k] = v;
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length) outHeaders["set-cookie"] = cookies;
      body = response.body ? Readable.fromWeb(response.body) : undefined;
    } else {
      const worker = workerFor(hostname);
      if (!worker) {
        // An unknown host is what a failed DNS lookup would be: the caller gets nothing useful.
        res.writeHead(502, { "content-type": "text/plain; charset=utf-8" }).end(`local network: no host ${hostname}\n`);
        return;
      }
      const asClient = req.headers[CLIENT_CERT_HEADER];
      const mf = { "MF-Original-URL": url, "MF-Route-Override": worker };
      if (typeof asClient === "string") mf["MF-CF-Blob"] = JSON.stringify(tlsClientAuthFor(asClient, await fingerprintOf(asClient)));
      const answer = await workerd.request(req.url, { method: req.method, headers: { ...headers, ...mf }, body: hasBody ? req : undefined });
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
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain; charset=utf-8" }).end(`local network: ${e?.message ?? e}\n`);
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
    },
  };
}
