// The whole local MedMij network in one Miniflare instance (workerd), for `npm run simulate`, the
// end-to-end tests and the benchmarks. Production workers run unchanged; only the "local-network"
// worker (workers/local-network) stands in for DNS, TLS termination and the edge's mutual TLS.
import { Miniflare } from "miniflare";
import { createHash, randomBytes } from "node:crypto";
import { lookup } from "node:dns";
import { createServer } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { startFront } from "./local-network-front.mjs";
import { fingerprintInput } from "../workers/local-network/client-certificate.mjs";
import { fileURLToPath } from "node:url";
import { OUT_DIR, buildWorkers } from "./build.mjs";
import { publishSeedLists } from "../kv-seed/seed.mjs";
import { fhirSeed } from "../kv-seed/fhir/data.mjs";

const COMPAT = { compatibilityDate: "2026-04-20", compatibilityFlags: ["service_binding_extra_handlers"] };
const root = new URL("../", import.meta.url);
const bundle = (name) => fileURLToPath(new URL(`${OUT_DIR}/${name}.js`, root));

export const HOSTS = {
  registratie: "registratie.medmij.localhost",
  digid: "digid.medmij.localhost",
  umcharderwijk: "umcharderwijk.zorgbridge.localhost",
  delinde: "delinde.zorgbridge.localhost",
  ziekenhuisoost: "ziekenhuisoost.medicloud.localhost",
  dvpKluis: "dvp.gezondheidskluis.localhost",
  dvpApp: "dvp.mijnzorgapp.localhost",
  /** The operator FHIR interface of the Zorgbridge DVZA (X-10): how the providers' systems feed store mode. */
  operatorZorgbridge: "feed.zorgbridge.localhost",
};

/** The Zorgbridge operator credential: OPERATOR_TOKEN from the environment, else a fresh one per network. */
export const OPERATOR_TOKEN = process.env.OPERATOR_TOKEN || randomBytes(32).toString("base64url");

const sqlite = (className) => ({ className, useSQLite: true });

function dvza(name, hostnames, providers, operatorHost) {
  return {
    name,
    // The operator host is routed to this worker too, but it is not one of its MedMij hostnames.
    hostnames: operatorHost ? [...hostnames, operatorHost] : hostnames,
    providers,
    options: {
      bindings: {
        REGISTRATIE_URL: `https://${HOSTS.registratie}`,
        DVZA_HOSTNAMES: hostnames.join(","),
        ...(operatorHost ? { OPERATOR_HOSTNAME: operatorHost, OPERATOR_TOKEN } : {}),
        GRANT_SHARDS: "4",
        REQUIRE_CLIENT_ID_IN_TOKEN_REQUEST: "false",
        AUTHENTICATOR: "digid-sim",
        DIGID_SIM_URL: `https://${HOSTS.digid}`,
        // workerd implements no Durable Object jurisdictions (X-5: eu when deployed).
        DO_JURISDICTION: "none",
      },
      kvNamespaces: { LISTS: `${name}-lists` },
      durableObjects: {
        GRANTS: sqlite("GrantStore"),
        SESSIONS: sqlite("AuthorizationSessions"),
        RATE_LIMITER: sqlite("RateLimiter"),
        FHIR: sqlite("FhirStore"),
      },
    },
    script: "dvza",
    node: true,
  };
}

function dvp(name, hostname, organisatienaam) {
  return {
    name,
    hostnames: [hostname],
    options: {
      // test Persons beside passkeys (development only); PASSKEY_ORIGINS is added once the port is known.
      bindings: { REGISTRATIE_URL: `https://${HOSTS.registratie}`, DVP_HOSTNAME: hostname, DVP_NAME: organisatienaam, DO_JURISDICTION: "none", PGO_LOGIN: "test-persons,passkey" },
      kvNamespaces: { LISTS: `${name}-lists` },
      durableObjects: { PERSONS: sqlite("PersonStore"), AUDIT: sqlite("AuditLog"), SESSIONS: sqlite("DvpSessions"), CEREMONIES: sqlite("LoginCeremonies"), ACCOUNTS: sqlite("PgoAccounts"), RATE_LIMITER: sqlite("RateLimiter") },
      // The DVP's client certificate: its back-channel requests leave through the network's mTLS entrypoint.
      serviceBindings: { MTLS: { name: "local-network", entrypoint: "MutualTls", props: { clientHostname: hostname } } },
    },
    script: "dvp",
    node: true,
  };
}

/** The network: who runs where. `only` limits it to some workers (by name) while others are unfinished. */
export function networkLayout({ only } = {}) {
  const all = [
    { name: "registratie", hostnames: [HOSTS.registratie], script: "registratie", options: { kvNamespaces: { LISTS: "registratie-lists" } } },
    { name: "digid-sim", hostnames: [HOSTS.digid], script: "digid-sim", options: { bindings: { DO_JURISDICTION: "none" }, durableObjects: { ARTIFACTS: sqlite("DigidArtifacts") } } },
    dvza("dvza-zorgbridge", [HOSTS.umcharderwijk, HOSTS.delinde], ["umcharderwijk@medmij", "huisartsenpraktijkdelinde@medmij"], HOSTS.operatorZorgbridge),
    dvza("dvza-medicloud", [HOSTS.ziekenhuisoost], ["ziekenhuisoost@medmij"]),
    dvp("dvp-gezondheidskluis", HOSTS.dvpKluis, "Gezondheidskluis & Co"),
    dvp("dvp-mijnzorgapp", HOSTS.dvpApp, "MijnZorgApp"),
  ];
  return only ? all.filter((w) => only.includes(w.name)) : all;
}

/** A free loopback port, for a front door asked to take any (port 0) whose port the workers must know first. */
export async function freePort(host) {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, host, resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** How many worker log lines the network keeps for tests (net.logs), newest last. */
const MAX_LOG_LINES = 20_000;

/**
 * Who runs where and with which settings, before anything starts: the layout with the authentication, FHIR upstream
 * and PGO peers' settings in it, those peers (they run in this Node process), and the front door's port. Shared by the
 * network in workerd (startNetwork) and the network on Deno (local-network-deno.mjs).
 */
export async function resolveNetwork({ port = 8787, host = "127.0.0.1", only, extraWorkers = [], dvzaBindings = {}, authn = "digid-sim", authnOptions = {}, fhir = "store", fhirOptions = {}, nodeServices = {}, pgoIdp = false } = {}) {
  // a passkey's origin is what the browser sees (http://<host>:<port>), so the DVPs must know the port.
  const frontPort = port === 0 ? await freePort(host) : port;
  const base0 = networkLayout({ only });
  const peers = authn === "digid-sim" ? undefined : await (await import("../test/peers/authn.mjs")).createAuthnPeers(authn, { dvzaHostnames: base0.filter((w) => w.script === "dvza").flatMap((w) => w.hostnames), ...authnOptions });
  // fhir "upstream": providers' own FHIR servers (X-4) instead of their FhirStore.
  const fhirPeers = fhir === "upstream" ? await (await import("../test/peers/fhir-upstreams.mjs")).createFhirUpstreams(fhirOptions) : undefined;
  const pgoPeer = pgoIdp ? await (await import("../test/peers/pgo-idp.mjs")).createPgoIdp({ dvpHostnames: [HOSTS.dvpKluis] }) : undefined;
  const services = { ...(peers?.nodeServices ?? {}), ...(fhirPeers?.nodeServices ?? {}), ...(pgoPeer?.nodeServices ?? {}), ...nodeServices };
  const mutualTls = (clientHostname) => ({ name: "local-network", entrypoint: "MutualTls", props: { clientHostname } });
  const withAuthn = (w) => {
    if (w.script === "dvp") {
      const origins = { PASSKEY_ORIGINS: w.hostnames.map((h) => `http://${h}:${frontPort}`).join(",") };
      const idp = pgoPeer && w.hostnames.includes(HOSTS.dvpKluis) ? pgoPeer.dvpBindings : {};
      return { ...w, options: { ...w.options, bindings: { ...w.options.bindings, ...origins, ...idp } } };
    }
    if (w.script !== "dvza") return w;
    const serviceBindings = { ...(w.options.serviceBindings ?? {}) };
    // The DVZA's client certificate towards the IdP's artifact resolution service (two-sided TLS).
    if (peers?.dvzaMtlsBinding) serviceBindings[peers.dvzaMtlsBinding] = mutualTls(w.hostnames[0]);
    const upstream = fhirPeers?.dvzaConfig(w.providers ?? []) ?? { bindings: {}, mtls: {} };
    for (const [binding, clientHostname] of Object.entries(upstream.mtls)) serviceBindings[binding] = mutualTls(clientHostname);
    return { ...w, options: { ...w.options, serviceBindings, bindings: { ...w.options.bindings, ...(peers?.dvzaBindings ?? {}), ...upstream.bindings, ...dvzaBindings } } };
  };
  const layout = [...base0.map(withAuthn), ...extraWorkers];
  return { frontPort, layout, peers, fhirPeers, pgoPeer, services };
}

/** Worker log lines, kept for tests (newest last) and echoed when verbose; `events` parses the JSON ones. */
export function logSink(verbose) {
  const logs = [];
  return {
    logs,
    /** Takes a process's output stream line by line. */
    collect(stream, echo, prefix = "") {
      let rest = "";
      stream.on("data", (chunk) => {
        const lines = (rest + chunk.toString("utf8")).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) {
          if (line.trim() === "") continue;
          logs.push(line);
          if (logs.length > MAX_LOG_LINES) logs.splice(0, logs.length - MAX_LOG_LINES);
          if (verbose) echo.write(`${prefix}${line}\n`);
        }
      });
    },
    /** Worker log lines parsed as JSON (others skipped), optionally only those of one event. */
    events(event) {
      const out = [];
      for (const line of logs) {
        const start = line.indexOf("{");
        if (start < 0) continue;
        try {
          const parsed = JSON.parse(line.slice(start));
          if (!event || parsed.event === event) out.push(parsed);
        } catch {
          // not one of ours
        }
      }
      return out;
    },
  };
}

/** How browsers and tools reach the front door on `port`. */
export function frontClient(port) {
  const base = (hostname) => `http://${hostname}:${port}`;
  // As a browser resolves them: every *.localhost name is loopback.
  const localhostAgent = new Agent({
    connections: 64,
    connect: { lookup: (name, options, cb) => (name.endsWith(".localhost") || name === "localhost" ? (options?.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)) : lookup(name, options, cb)) },
  });
  /** Fetch as a browser or curl would, through the front door; redirects are not followed. */
  const fetchLocal = (url, init = {}) => undiciFetch(url, { ...init, redirect: "manual", dispatcher: localhostAgent });
  /** Fetch http://<host>:<port><path>. */
  const browse = (hostname, path, init) => fetchLocal(new URL(path, base(hostname)).href, init);
  return { base, fetch: fetchLocal, browse, close: () => localhostAgent.close() };
}

/** What either network (workerd or Deno) hands its callers about its peers, its logs and its front door. */
export function networkHandles({ peers, pgoPeer, fhirPeers, sink, port, client }) {
  return {
    peers,
    /** The PGO's own OpenID Connect provider (node-oidc-provider) when started with `pgoIdp`. */
    pgoIdp: pgoPeer?.idp,
    /** The providers' own FHIR servers when the network runs with fhir "upstream", by Zorgaanbieder. */
    upstreams: fhirPeers?.upstreams ?? {},
    logs: sink.logs,
    events: sink.events,
    port,
    fetch: client.fetch,
    base: client.base,
    browse: client.browse,
    /** The Zorgbridge DVZA's operator credential. */
    operatorToken: OPERATOR_TOKEN,
  };
}

/**
 * Build, start and seed the network. Returns helpers to reach it. Lists are published through
 * Registratie and every node's list refresh runs once before this resolves.
 *
 * `authn` picks how the DVZAs authenticate Persons: "digid-sim" (the simulator worker, default),
 * "digid-saml" (the SAML test IdP) or "oidc" (the node-oidc-provider broker); both peers run in this
 * Node process and the network routes their hostnames to them (`nodeServices`).
 *
 * `pgoIdp`: the PGO "Gezondheidskluis & Co" also logs Persons in through its own OpenID Connect provider
 * (test/peers/pgo-idp.mjs, X-9), beside passkeys and the test Persons.
 *
 * `deno`: every role on Deno instead, behind the same front door (scripts/local-network-deno.mjs).
 */
export async function startNetwork(options = {}) {
  if (options.deno) return (await import("./local-network-deno.mjs")).startDenoNetwork(options);
  const { host = "127.0.0.1", build = true, seed = true, verbose = false, faults } = options;
  const { frontPort, layout, peers, fhirPeers, pgoPeer, services } = await resolveNetwork(options);
  const scripts = [...new Set(layout.filter((w) => w.script).map((w) => w.script)), "local-network"];
  // Workers from outside the product (`entry`: their source file) are bundled beside it.
  if (build) await buildWorkers(scripts, Object.fromEntries(layout.filter((w) => w.entry).map((w) => [w.script, w.entry])));
  const adminToken = randomBytes(32).toString("base64url");
  const hostMap = Object.fromEntries(layout.flatMap((w) => w.hostnames.map((h) => [h, w.name.replace(/-/g, "_").toUpperCase()])));
  // Peers that run in this Node process (test identity providers): a service function per hostname.
  const nodeBindings = Object.fromEntries(Object.entries(services).map(([hostname, fn], i) => [`NODE_${i}`, { hostname, fn }]));
  for (const [binding, { hostname }] of Object.entries(nodeBindings)) hostMap[hostname] = binding;
  const workers = [
    {
      name: "local-network",
      modules: true,
      scriptPath: bundle("local-network"),
      ...COMPAT,
      bindings: { HOSTS: JSON.stringify(hostMap), ...(faults ? { FAULTS: JSON.stringify(faults) } : {}) },
      serviceBindings: {
        ...Object.fromEntries(layout.map((w) => [w.name.replace(/-/g, "_").toUpperCase(), w.name])),
        ...Object.fromEntries(Object.entries(nodeBindings).map(([binding, { fn }]) => [binding, (request) => fn(request)])),
      },
    },
    ...layout.map((w) => ({
      name: w.name,
      modules: true,
      ...(w.script ? { scriptPath: bundle(w.script) } : { script: w.source }),
      ...COMPAT,
      ...w.options,
      bindings: { ...(w.options.bindings ?? {}), ...(w.name === "registratie" ? { ADMIN_TOKEN: adminToken } : {}) },
      // Every worker's own outbound fetch goes through the simulated internet.
      outboundService: "local-network",
    })),
  ];
  // Worker log lines (the JSON lines of workers/shared/log.ts) are kept for tests, and echoed when verbose.
  const sink = logSink(verbose);
  const collect = (stream, echo) => sink.collect(stream, echo);
  // workerd listens on a loopback port of its own; browsers and tools connect to the front door (Node).
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, workers, verbose, log: undefined, handleRuntimeStdio: (stdout, stderr) => (collect(stdout, process.stdout), collect(stderr, process.stderr)) });
  const entry = await mf.ready;
  const workerByHost = new Map(layout.flatMap((w) => w.hostnames.map((h) => [h, w.name])));
  const front = await startFront({
    port: frontPort,
    host,
    entryUrl: entry.origin,
    workerFor: (hostname) => workerByHost.get(hostname) ?? (hostname === "127.0.0.1" || hostname === "localhost" ? "registratie" : undefined),
    nodeServiceFor: (hostname) => services[hostname],
    hostnames: [...workerByHost.keys(), ...Object.keys(services)],
    fingerprintOf: async (hostname) => createHash("sha256").update(fingerprintInput(hostname)).digest("hex"),
  });
  const client = frontClient(front.port);
  const net = {
    mf,
    ...networkHandles({ peers, pgoPeer, fhirPeers, sink, port: front.port, client }),
    adminToken,
    layout,
    /** Each provider's FHIR data, into its FhirStore on the deployment that hosts it. */
    async seedFhir() {
      for (const w of layout.filter((w) => w.providers)) {
        const ns = await mf.getDurableObjectNamespace("FHIR", w.name);
        for (const naam of w.providers) await ns.get(ns.idFromName(naam)).seed(fhirSeed(naam));
      }
    },
    async refreshLists() {
      for (const w of layout.filter((w) => w.node)) await (await mf.getWorker(w.name)).scheduled({ cron: "*/5 * * * *" });
    },
    async dispose() {
      await front.close();
      await client.close();
      await mf.dispose();
      await peers?.dispose();
      await fhirPeers?.dispose();
      await pgoPeer?.dispose();
    },
  };
  if (seed) {
    await publishSeedLists((u, init) => client.browse(HOSTS.registratie, new URL(u).pathname, init), client.base(HOSTS.registratie), adminToken);
    await net.refreshLists();
    await net.seedFhir();
  }
  return net;
}
