/**
 * Self-hosting on Deno: one process serves one role, the same worker code as on the edge.
 *
 *   deno task serve:dvza          (ROLE=dvza|dvp|registratie, see deno.json; ROLE=digid-sim: the DigiD simulator,
 *                                  development only, for the local network on Deno, scripts/local-network-deno.mjs)
 *
 * Configuration is the environment, with the names wrangler.toml uses (DVZA_HOSTNAMES, REGISTRATIE_URL, ...)
 * plus the self-hosting ones:
 *   PORT (8787), HOSTNAME (127.0.0.1: the TLS terminator in front connects here), or LISTEN_SOCKET (a Unix
 *   socket path instead: make it reachable for nginx's user only), DATA_DIR (./data/<role>),
 *   TRUSTED_PROXIES (addresses whose client-certificate headers are believed, `unix` for LISTEN_SOCKET) and
 *   PROXY_SECRET (the secret nginx adds to every request; required with TRUSTED_PROXIES: tls-client-auth.ts, X-7),
 *   SQLITE_SYNCHRONOUS (FULL | NORMAL), SQLITE_GROUP_COMMIT (on | off: sql-storage.ts), MTLS_CERT_FILE + MTLS_KEY_FILE (+ MTLS_CA_FILE, MTLS_PROXY: the DVP's
 *   outbound mutual TLS, mtls-client.ts), GRANTS_BACKEND=postgres + DATABASE_URL (the state several instances share,
 *   on one host or many: shared-store.ts says which).
 * Lists are refreshed at start and every 5 minutes by Deno.cron (L-3, L-4), as the cron trigger does on the edge.
 */
import { DenoNamespace, type NamespaceOptions } from "./durable-object.ts";
import { SqliteKv } from "./kv.ts";
import { batchConsole } from "./log-output.ts";
import { mtlsFetcher } from "./mtls-client.ts";
import { openSharedStore, type SharedStore } from "./shared-store.ts";
import { asEdgeRequest, proxyTrust, tlsVerdict, UNIX_PEER, type ProxyTrust } from "./tls-client-auth.ts";

export type Role = "dvza" | "dvp" | "registratie" | "digid-sim";

interface Handler {
  fetch(request: Request, env: unknown, ctx: ExecutionContextLike): Response | Promise<Response>;
  scheduled?(controller: unknown, env: unknown, ctx: ExecutionContextLike): void | Promise<void>;
}

interface ExecutionContextLike {
  waitUntil(p: Promise<unknown>): void;
  passThroughOnException(): void;
  props: Record<string, never>;
}

/** Background work outlives the response, as on the edge; failures are logged, never thrown at the client. */
const context: ExecutionContextLike = {
  waitUntil(p) {
    p.catch((e: Error) => console.error(JSON.stringify({ level: "error", event: "deno.wait_until_failed", message: e.message })));
  },
  passThroughOnException() {},
  props: {},
};

export interface Node {
  readonly handler: Handler;
  readonly env: Record<string, unknown>;
  /** The PostgreSQL store the instances share (GRANTS_BACKEND=postgres). */
  readonly shared: SharedStore | undefined;
  /** Closes the databases (the SQLite files at once, the PostgreSQL pool when the promise settles). */
  close(): Promise<void>;
}

/** Where the state instances share lives: nowhere (one instance per DATA_DIR) or PostgreSQL. */
export type GrantsBackend = "sqlite" | "postgres";

export function grantsBackend(vars: Vars): GrantsBackend {
  const v = vars.GRANTS_BACKEND ?? "sqlite";
  if (v === "sqlite" || v === "postgres") return v;
  if (v === "deno-kv") throw new Error("GRANTS_BACKEND=deno-kv is gone: several instances share PostgreSQL (GRANTS_BACKEND=postgres, DATABASE_URL), on one host or many");
  throw new Error(`GRANTS_BACKEND must be sqlite or postgres, not ${v}`);
}

/** The environment variables as strings, as wrangler's [vars] are. */
export type Vars = Record<string, string | undefined>;

function storageOptions(vars: Vars, role: Role): NamespaceOptions {
  return { dataDir: vars.DATA_DIR ?? `./data/${role}`, synchronous: vars.SQLITE_SYNCHRONOUS, groupCommit: vars.SQLITE_GROUP_COMMIT, commitWindowMs: vars.SQLITE_COMMIT_WINDOW_MS };
}

function kvAt(options: NamespaceOptions): SqliteKv {
  return new SqliteKv(options.dataDir === ":memory:" ? ":memory:" : `${options.dataDir}/lists.sqlite`);
}

/** Builds a role's handler and environment: its objects, its lists, its settings. */
export async function node(role: Role, vars: Vars): Promise<Node> {
  const storage = storageOptions(vars, role);
  const backend = grantsBackend(vars);
  if (storage.dataDir !== ":memory:") Deno.mkdirSync(storage.dataDir, { recursive: true });
  // The DigiD simulator (development only) keeps its artifacts in its own SQLite files.
  const shared = backend === "postgres" && role !== "digid-sim" ? await openSharedStore(role, vars) : undefined;
  const LISTS = shared?.lists ?? kvAt(storage);
  const namespaces: DenoNamespace[] = [];
  const closers: (() => void)[] = [];
  const env: Record<string, unknown> = { DO_JURISDICTION: "none", ...vars, LISTS };
  const bind = (binding: string, cls: ConstructorParameters<typeof DenoNamespace>[1]) => {
    // The shared store's binding when it holds this one (shared-store.ts), else the instance's own objects.
    if (shared && binding in shared.bindings) {
      env[binding] = shared.bindings[binding];
      return;
    }
    const ns = new DenoNamespace(binding, cls, env, storage);
    namespaces.push(ns);
    env[binding] = ns;
  };
  let handler: Handler;
  if (role === "dvza") {
    const dvza = await import("../../dvza/index.ts");
    bind("GRANTS", dvza.GrantStore as never);
    bind("SESSIONS", dvza.AuthorizationSessions as never);
    bind("RATE_LIMITER", dvza.RateLimiter as never);
    bind("FHIR", dvza.FhirStore as never);
    handler = dvza.default as unknown as Handler;
  } else if (role === "dvp") {
    const dvp = await import("../../dvp/index.ts");
    bind("SESSIONS", dvp.DvpSessions as never);
    bind("PERSONS", dvp.PersonStore as never);
    bind("AUDIT", dvp.AuditLog as never);
    bind("CEREMONIES", dvp.LoginCeremonies as never);
    bind("ACCOUNTS", dvp.PgoAccounts as never);
    bind("RATE_LIMITER", dvp.RateLimiter as never);
    const { peerAllowed } = await import("../../dvp/peer.ts");
    const mtls = mtlsFetcher(vars, (uri) => peerAllowed(env as never, uri));
    env.MTLS = mtls;
    closers.push(() => mtls.close());
    handler = dvp.default as unknown as Handler;
  } else if (role === "digid-sim") {
    const sim = await import("../../digid-sim/index.ts");
    bind("ARTIFACTS", sim.DigidArtifacts as never);
    handler = sim.default as unknown as Handler;
  } else {
    handler = (await import("../../registratie/index.ts")).default as unknown as Handler;
  }
  return {
    handler,
    env,
    shared,
    async close() {
      for (const ns of namespaces) ns.close();
      for (const close of closers) close();
      LISTS.close();
      await shared?.close();
    },
  };
}

/** One request: the proxy's verdict on the client certificate becomes `request.cf`, then the worker runs. */
export function serveRequest(n: Node, trust: ProxyTrust, request: Request, peerAddress: string): Promise<Response> {
  const edge = asEdgeRequest(request, tlsVerdict(request.headers, peerAddress, trust));
  return Promise.resolve(n.handler.fetch(edge, n.env, context));
}

/** A connection as the adapter's servers report it: they listen on TCP or on a Unix socket, never on vsock. */
export type PeerInfo = Deno.ServeHandlerInfo<Deno.NetAddr | Deno.UnixAddr>;

/** The peer of a connection as tls-client-auth.ts names it: its IP address, or `unix` for a Unix socket. */
export function peerOf(info: PeerInfo): string {
  const addr = info.remoteAddr;
  return addr.transport === "tcp" || addr.transport === "udp" ? addr.hostname : UNIX_PEER;
}

/** The cron trigger's work (L-3, L-4), awaited to the end: what the handler hands to waitUntil included. */
export async function refreshLists(n: Node): Promise<void> {
  const pending: Promise<unknown>[] = [];
  const ctx: ExecutionContextLike = { ...context, waitUntil: (p) => void pending.push(p) };
  await n.handler.scheduled?.({ cron: "*/5 * * * *", scheduledTime: Date.now() }, n.env, ctx);
  await Promise.all(pending);
}

if (import.meta.main) {
  batchConsole();
  const vars = Deno.env.toObject();
  const role = (vars.ROLE ?? Deno.args[0]) as Role;
  if (!["dvza", "dvp", "registratie", "digid-sim"].includes(role)) {
    console.error("usage: ROLE=dvza|dvp|registratie|digid-sim deno run ... workers/adapter/deno/serve.ts");
    Deno.exit(2);
  }
  let trust: ProxyTrust;
  try {
    trust = proxyTrust(vars.TRUSTED_PROXIES, vars.PROXY_SECRET);
  } catch (e) {
    console.error(JSON.stringify({ level: "error", event: "deno.config", message: (e as Error).message }));
    Deno.exit(2);
  }
  let n: Node;
  try {
    n = await node(role, vars);
  } catch (e) {
    console.error(JSON.stringify({ level: "error", event: "deno.config", message: (e as Error).message }));
    Deno.exit(2);
  }
  // a PGO whose login configuration is refused (test Persons in staging or production) does not start.
  if (role === "dvp" && !(await (await import("../../dvp/index.ts")).loginReady(n.env as never))) Deno.exit(2);
  if (role === "dvza" || role === "dvp") {
    await refreshLists(n).catch((e: Error) => console.error(JSON.stringify({ level: "error", event: "deno.refresh_failed", message: e.message })));
    Deno.cron(`${role} lists`, "*/5 * * * *", () => refreshLists(n));
  }
  // The shared store's expiry (what the objects' alarms do for the instance's own SQLite files).
  if (n.shared) {
    const purge = () => n.shared!.purge().catch((e: Error) => console.error(JSON.stringify({ level: "error", event: "deno.purge_failed", message: e.message })));
    await purge();
    Deno.cron(`${role} purge`, "*/15 * * * *", purge);
  }
  const handler = (request: Request, info: PeerInfo) => serveRequest(n, trust, request, peerOf(info));
  if (vars.LISTEN_SOCKET) {
    Deno.serve({ path: vars.LISTEN_SOCKET, onListen: () => console.log(JSON.stringify({ level: "info", event: "deno.listening", role, socket: vars.LISTEN_SOCKET })) }, handler);
  } else {
    Deno.serve(
      { port: Number(vars.PORT ?? 8787), hostname: vars.HOSTNAME ?? "127.0.0.1", onListen: ({ hostname, port }) => console.log(JSON.stringify({ level: "info", event: "deno.listening", role, hostname, port })) },
      handler,
    );
  }
}
