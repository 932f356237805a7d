// The whole local MedMij network on Deno (issue 19 #4), for `npm run simulate:deno`, test/e2e/deno-network.test.ts
// and `npm run bench` (its full flows on Deno): the same layout, bindings, hostnames and front door as the network in workerd
// (local-network.mjs), with every role a self-hosted process of its own, as README "Run on Deno" sets one up:
//
//   - Registratie, the DigiD simulator, each DVZA deployment and each DVP: `workers/adapter/deno/serve.ts` with ROLE,
//     the layout's bindings as its environment, its own DATA_DIR (SQLite) in a temporary directory, or its own
//     PostgreSQL database when asked (`postgres`: GRANTS_BACKEND=postgres);
//   - in front of each, nginx configured by scripts/deno/nginx.conf.sh (TLS 1.2/1.3, the client certificate verified
//     against the network's CA, the verdict and the proxy secret to Deno): where the nodes' own traffic arrives;
//   - the nodes' own outbound traffic leaves through an HTTP CONNECT egress proxy (HTTPS_PROXY, and the DVP's
//     MTLS_PROXY) that stands in for DNS: <host>:443 goes to that host's nginx, a Node-side peer's host (IdPs, FHIR
//     servers: `nodeServices`) to a TLS terminator here that hands the request to the peer; anything else, nothing;
//   - the DVP's mutual TLS is its own: `MTLS_CERT_FILE`/`MTLS_KEY_FILE` (a certificate the network's CA issued for its
//     hostname, X.509 v3), Deno.createHttpClient (workers/adapter/deno/mtls-client.ts), verified by the DVZA's nginx;
//   - browsers and tools connect to the same front door (local-network-front.mjs), which hands each request to the
//     process serving its host the way nginx would (proxy secret, verdict headers, X-Forwarded-Host); the
//     `x-local-network-client-cert` stand-in of loopback tools becomes a verified certificate there, as in workerd.
// Every process is a child of this one: dispose() (or this process's exit) ends them.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { publishSeedLists } from "../kv-seed/seed.mjs";
import { createPki } from "../test/peers/pki.mjs";
import { tlsClientAuthFor } from "../workers/local-network/client-certificate.mjs";
import { callNodeService, startFront } from "./local-network-front.mjs";
import { HOSTS, freePort, frontClient, logSink, networkHandles, resolveNetwork } from "./local-network.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const DENO = join(root, "node_modules/.bin/deno");
const SERVE = join(root, "workers/adapter/deno/serve.ts");
const FHIR_STORE = join(root, "scripts/deno/fhir-store.ts");
const NGINX_CONF = join(root, "scripts/deno/nginx.conf.sh");
export const NGINX = process.env.NGINX_PATH ?? "/usr/sbin/nginx";
/** The layout's scripts and the serve.ts role each runs as. */
const ROLE_OF = { registratie: "registratie", "digid-sim": "digid-sim", dvza: "dvza", dvp: "dvp" };
/** The subject nginx reports for a certificate of the network's CA (test/peers/pki.mjs), RFC 2253. */
const subjectOf = (hostname) => `CN=${hostname},O=medmij-edge test,C=NL`;

/** What a Deno process gets from this one's environment: where Deno and its cache are, nothing of the settings. */
function baseEnv() {
  const keep = ["PATH", "HOME", "DENO_DIR", "TMPDIR", "XDG_CACHE_HOME"];
  return { ...Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
}

async function waitForPort(port, what) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => (s.end(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} does not listen on ${port}`);
}

/** Runs a command to its end; rejects with its stderr. */
function run(command, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out = [];
    const err = [];
    child.stdout.on("data", (c) => out.push(c));
    child.stderr.on("data", (c) => err.push(c));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(Buffer.concat(out).toString("utf8")) : reject(new Error(`${command} ${args.join(" ")}: exit ${code}: ${Buffer.concat(err).toString("utf8").slice(-2000)}`))));
  });
}

/** The HTTP CONNECT proxy the nodes' outbound traffic leaves through; `routeFor(hostname)` is a port on 127.0.0.1. */
async function startEgress(routeFor) {
  const targets = [];
  const sockets = new Set();
  const track = (s) => (sockets.add(s), s.on("close", () => sockets.delete(s)));
  const server = http.createServer((_req, res) => res.writeHead(502, { "content-type": "text/plain" }).end("local network: CONNECT only\n"));
  server.on("connect", (req, client, head) => {
    track(client);
    targets.push(req.url);
    if (targets.length > 10_000) targets.splice(0, targets.length - 10_000);
    const m = /^([A-Za-z0-9.-]+):(\d+)$/.exec(req.url ?? "");
    // An unknown host, or a port other than 443, is what a failed DNS lookup or a closed port would be.
    const port = m && m[2] === "443" ? routeFor(m[1].toLowerCase()) : undefined;
    client.on("error", () => {});
    if (!port) return void client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
    const upstream = track(net.connect(port, "127.0.0.1"));
    upstream.on("connect", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    targets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** TLS in front of the Node-side peers (nodeServices), for the nodes' requests to them through the egress proxy. */
async function startPeerTls(services, cert) {
  const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const hostname = (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
    const fn = services[hostname];
    if (!fn) return void res.writeHead(502, { "content-type": "text/plain" }).end(`local network: no host ${hostname}\n`);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !["host", "connection", "keep-alive", "transfer-encoding"].includes(k)));
    callNodeService(fn, `https://${hostname}${req.url}`, req, headers)
      .then(({ status, headers: out, body }) => {
        res.writeHead(status, out);
        if (body) body.pipe(res);
        else res.end();
      })
      .catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: server.address().port, close: () => new Promise((resolve) => (server.closeAllConnections?.(), server.close(resolve))) };
}

/** One database per deployment on the server at `url`, made afresh (its name: medmij_local_<deployment>). */
async function freshDatabases(url, names) {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const urls = {};
  try {
    for (const name of names) {
      const db = `medmij_local_${name.replace(/-/g, "_")}`;
      await sql.unsafe(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      await sql.unsafe(`CREATE DATABASE "${db}"`);
      const u = new URL(url);
      u.pathname = `/${db}`;
      urls[name] = u.href;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  return urls;
}

/**
 * Start the network on Deno. Options as startNetwork's (port, host, only, seed, verbose, dvzaBindings, authn, fhir,
 * nodeServices, pgoIdp), and `postgres`: a PostgreSQL server URL whose user may create databases; every deployment
 * (the simulator aside) then keeps its shared state there (GRANTS_BACKEND=postgres), each in a database of its own.
 * Not on Deno: `extraWorkers` and `faults` (workerd's), and a DVZA's own outbound mutual TLS (AUTHN=digid-saml's
 * artifact resolution, an upstream FHIR server reached with the DVZA's certificate): serve.ts binds MTLS for the DVP only.
 */
export async function startDenoNetwork(options = {}) {
  const { host = "127.0.0.1", seed = true, verbose = false, postgres: pgUrl } = options;
  if (options.extraWorkers?.length) throw new Error("the network on Deno runs the product's roles only (extraWorkers are workerd's)");
  if (options.faults) throw new Error("the network on Deno has no fault injection (faults are the workerd network's)");
  const { frontPort, layout, peers, fhirPeers, pgoPeer, services } = await resolveNetwork(options);
  const stops = [];
  const children = new Set();
  const killAll = () => {
    for (const c of children) c.kill("SIGKILL");
  };
  process.once("exit", killAll);
  const dispose = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
    process.off("exit", killAll);
  };
  stops.push(async () => {
    await peers?.dispose();
    await fhirPeers?.dispose();
    await pgoPeer?.dispose();
  });
  try {
    for (const w of layout) {
      if (!ROLE_OF[w.script]) throw new Error(`${w.name}: no Deno role for the script ${w.script}`);
      for (const [binding, target] of Object.entries(w.options.serviceBindings ?? {})) {
        if (!(w.script === "dvp" && binding === "MTLS")) throw new Error(`${w.name}: the binding ${binding} (${target.entrypoint ?? target.name}) has no Deno adapter: serve.ts gives the DVP its MTLS, no other outbound mutual TLS`);
      }
    }
    const dir = mkdtempSync(join(tmpdir(), "medmij-deno-network-"));
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    const pki = createPki("medmij-deno-network-pki-");
    stops.push(async () => pki.dispose());
    const ca = pki.selfSigned("ca", { cn: "Local MedMij network CA", ca: true });
    // One certificate per node for all its hostnames: nginx's server certificate, and a DVP's client certificate.
    const certs = Object.fromEntries(layout.map((w) => [w.name, pki.issue(w.name, ca, { cn: w.hostnames[0], sans: w.hostnames })]));
    const certOfHost = new Map(layout.flatMap((w) => w.hostnames.map((h) => [h, certs[w.name]])));
    const secret = randomBytes(32).toString("hex");
    const adminToken = randomBytes(32).toString("base64url");
    const sink = logSink(verbose);

    /** hostname -> { deno: port of its serve.ts, tls: port of its nginx }, filled in as nodes start. */
    const nodes = new Map();
    const peerTls = Object.keys(services).length ? await startPeerTls(services, pki.issue("peers", ca, { cn: Object.keys(services)[0], sans: Object.keys(services) })) : undefined;
    if (peerTls) stops.push(peerTls.close);
    const egress = await startEgress((hostname) => nodes.get(hostname)?.tls ?? (services[hostname] ? peerTls?.port : undefined));
    stops.push(egress.close);
    const egressUrl = `http://127.0.0.1:${egress.port}`;

    const front = await startFront({
      port: frontPort,
      host,
      workerFor: () => undefined,
      nodeServiceFor: (hostname) => services[hostname],
      hostnames: [...layout.flatMap((w) => w.hostnames), ...Object.keys(services)],
      selfHosted: (hostname) => {
        const node = nodes.get(hostname) ?? (hostname === "127.0.0.1" || hostname === "localhost" ? nodes.get(HOSTS.registratie) : undefined);
        return node && { origin: `http://127.0.0.1:${node.deno}`, verdict: node.verdict };
      },
    });
    stops.push(front.close);
    const client = frontClient(front.port);
    stops.push(client.close);

    /** What nginx forwards: its secret, and a client certificate it verified (the stand-in's hostname) or none. */
    const verdict = (asClient) => ({
      "x-medmij-proxy-secret": secret,
      "x-real-ip": "127.0.0.1",
      "x-ssl-client-verify": asClient ? "SUCCESS" : "NONE",
      ...(asClient ? { "x-ssl-client-s-dn": certOfHost.has(asClient) ? subjectOf(asClient) : tlsClientAuthFor(asClient, "").tlsClientAuth.certSubjectDN } : {}),
      ...(asClient && certOfHost.has(asClient) ? { "x-ssl-client-cert": encodeURIComponent(certOfHost.get(asClient).certPem) } : {}),
    });

    const databases = pgUrl ? await freshDatabases(pgUrl, layout.filter((w) => w.script !== "digid-sim").map((w) => w.name)) : {};
    const dataDir = (w) => join(dir, w.name);
    const envOf = (w) => ({
      ...baseEnv(),
      ...w.options.bindings,
      // README "Run on Deno": one grant shard (the shards are all in the one process, each a file to fsync).
      ...(w.script === "dvza" && !options.dvzaBindings?.GRANT_SHARDS ? { GRANT_SHARDS: "1" } : {}),
      ...(w.script === "registratie" ? { ADMIN_TOKEN: adminToken } : {}),
      ...(w.script === "dvp"
        ? { MTLS_CERT_FILE: certs[w.name].certFile, MTLS_KEY_FILE: certs[w.name].keyFile, MTLS_CA_FILE: ca.certFile, MTLS_PROXY: egressUrl }
        : {}),
      ...(databases[w.name] ? { GRANTS_BACKEND: "postgres", DATABASE_URL: databases[w.name] } : {}),
      DATA_DIR: dataDir(w),
      TRUSTED_PROXIES: "127.0.0.1",
      PROXY_SECRET: secret,
      HTTPS_PROXY: egressUrl,
      DENO_CERT: ca.certFile,
      HOSTNAME: "127.0.0.1",
      PORT: "0",
      ROLE: ROLE_OF[w.script],
    });

    const startDeno = (w) =>
      new Promise((resolve, reject) => {
        const child = spawn(DENO, ["run", "--allow-all", SERVE], { env: envOf(w), stdio: ["ignore", "pipe", "pipe"] });
        children.add(child);
        child.on("exit", () => children.delete(child));
        sink.collect(child.stdout, process.stdout, `[${w.name}] `);
        sink.collect(child.stderr, process.stderr, `[${w.name}] `);
        let seen = "";
        const listening = (chunk) => {
          seen = (seen + chunk.toString("utf8")).slice(-20_000);
          const m = /"event":"deno\.listening".*?"port":(\d+)/.exec(seen);
          if (!m) return;
          child.stdout.off("data", listening);
          resolve({ child, port: Number(m[1]) });
        };
        child.stdout.on("data", listening);
        child.stderr.on("data", (chunk) => (seen = (seen + chunk.toString("utf8")).slice(-20_000)));
        child.once("exit", (code) => reject(new Error(`${w.name} (serve.ts, ROLE=${ROLE_OF[w.script]}) exited with ${code} before listening:\n${seen.slice(-3000)}`)));
      });

    const startNginx = async (w, upstreamPort) => {
      const prefix = join(dir, `nginx-${w.name}`);
      mkdirSync(prefix, { recursive: true });
      const tlsPort = await freePort("127.0.0.1");
      const conf = await run("bash", [NGINX_CONF], {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        LISTEN: `127.0.0.1:${tlsPort}`,
        SERVER_NAMES: w.hostnames.join(" "),
        SERVER_CERT: certs[w.name].certFile,
        SERVER_KEY: certs[w.name].keyFile,
        CLIENT_CA: ca.certFile,
        // The network's CA publishes no CRL (revocation through nginx: test/deno/nginx-mtls.test.ts).
        CLIENT_CRL: "none",
        UPSTREAM: `127.0.0.1:${upstreamPort}`,
        PROXY_SECRET: secret,
        PREFIX: prefix,
      });
      writeFileSync(join(prefix, "nginx.conf"), conf.replace(/^worker_processes auto;/m, "worker_processes 1;"));
      const nginx = spawn(NGINX, ["-c", join(prefix, "nginx.conf"), "-p", prefix, "-g", "daemon off; master_process off;"], { stdio: ["ignore", "ignore", "pipe"] });
      children.add(nginx);
      nginx.on("exit", () => children.delete(nginx));
      sink.collect(nginx.stderr, process.stderr, `[nginx ${w.name}] `);
      stops.push(async () => {
        if (nginx.exitCode !== null) return;
        const exited = new Promise((resolve) => nginx.once("exit", resolve));
        nginx.kill("SIGQUIT");
        await exited;
      });
      await waitForPort(tlsPort, `nginx for ${w.name}`);
      return tlsPort;
    };

    const startNode = async (w) => {
      const { child, port } = await startDeno(w);
      stops.push(async () => {
        if (child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      });
      const tls = await startNginx(w, port);
      for (const h of w.hostnames) nodes.set(h, { deno: port, tls, verdict });
    };

    /** A FhirStore of a DVZA deployment, out of band (scripts/deno/fhir-store.ts). */
    const fhirStore = (w, args) => run(DENO, ["run", "--allow-all", FHIR_STORE, args[0], dataDir(w), ...args.slice(1)], baseEnv());

    // Each provider's FHIR data into its deployment's FhirStore before the DVZA starts, while the first nodes start.
    const dvzas = layout.filter((w) => w.providers);
    const seeded = seed ? Promise.all(dvzas.map((w) => fhirStore(w, ["seed", ...w.providers]))) : Promise.resolve();
    await Promise.all(layout.filter((w) => w.script === "registratie" || w.script === "digid-sim").map(startNode));
    if (seed) await publishSeedLists((u, init) => client.browse(HOSTS.registratie, new URL(u).pathname, init), client.base(HOSTS.registratie), adminToken);
    await seeded;
    // The nodes fetch their lists from Registratie as they start (serve.ts), then every 5 minutes (Deno.cron).
    await Promise.all(layout.filter((w) => w.script === "dvza" || w.script === "dvp").map(startNode));

    return {
      runtime: "deno",
      ...networkHandles({ peers, pgoPeer, fhirPeers, sink, port: front.port, client }),
      adminToken,
      layout,
      /** Every host:port the nodes asked the egress proxy for (newest last). */
      egressTargets: egress.targets,
      /** The network's CA (PEM): what the nodes trust for each other's server certificates. */
      caPem: readFileSync(ca.certFile, "utf8"),
      /** FhirStore.search on a provider's store at a DVZA deployment, from a reader beside its process. */
      async fhirSearch(deployment, zorgaanbieder, scope, query) {
        const w = dvzas.find((d) => d.name === deployment);
        if (!w) throw new Error(`no DVZA deployment ${deployment}`);
        const out = (await fhirStore(w, ["search", zorgaanbieder, JSON.stringify(scope), JSON.stringify(query)])).trim().split("\n");
        return JSON.parse(out[out.length - 1]);
      },
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}
