/**
 * Self-hosting on Deno: one process serves one role, the same worker code as on the edge.
 *
 *   deno task serve:dvza          (ROLE=dvza|dvp|registratie, see deno.json)
 *
 * Configuration is the environment, with the names wrangler.toml uses (DVZA_HOSTNAMES, REGISTRATIE_URL, ...)
 * plus the self-hosting ones:
 *   PORT (8787), HOSTNAME (127.0.0.1: the TLS terminator in front connects here), or LISTEN_SOCKET (a Unix
 *   socket path instead: make it reachable for nginx's user only), DATA_DIR (./data/<role>),
 *   TRUSTED_PROXIES (addresses whose client-certificate headers are believed, `unix` for LISTEN_SOCKET) and
 *   PROXY_SECRET (the secret nginx adds to every request; required with TRUSTED_PROXIES: tls-client-auth.ts, X-7),
 *   SQLITE_SYNCHRONOUS (FULL | NORMAL), MTLS_CERT_FILE + MTLS_KEY_FILE (the DVP's client certificate),
 *   GRANTS_BACKEND=deno-kv + DENO_KV_PATH (a DVZA's codes and tokens in a Deno KV that several instances share).
 * Lists are refreshed at start and every 5 minutes by Deno.cron (L-3, L-4), as the cron trigger does on the edge.
 */
import { DenoNamespace, type NamespaceOptions } from "./durable-object.ts";
import { KvGrantNamespace, KvGrantStore, type DenoKvLike } from "./kv-grant-store.ts";
import { SqliteKv } from "./kv.ts";
import { asEdgeRequest, proxyTrust, tlsVerdict, UNIX_PEER, type ProxyTrust } from "./tls-client-auth.ts";

export type Role = "dvza" | "dvp" | "registratie";

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
  /** Closes the databases. */
  close(): void;
}

/** The environment variables as strings, as wrangler's [vars] are. */
export type Vars = Record<string, string | undefined>;

function storageOptions(vars: Vars, role: Role): NamespaceOptions {
  return { dataDir: vars.DATA_DIR ?? `./data/${role}`, synchronous: vars.SQLITE_SYNCHRONOUS };
}

function kvAt(options: NamespaceOptions): SqliteKv {
  return new SqliteKv(options.dataDir === ":memory:" ? ":memory:" : `${options.dataDir}/lists.sqlite`);
}

/** An outbound fetcher presenting a client certificate (S-2), the edge's `mtls_certificates` binding. */
function mtlsFetcher(vars: Vars): { fetch(request: Request): Promise<Response> } {
  if (!vars.MTLS_CERT_FILE || !vars.MTLS_KEY_FILE) {
    return { fetch: () => Promise.reject(new Error("MTLS_CERT_FILE and MTLS_KEY_FILE are not configured")) };
  }
  const client = Deno.createHttpClient({
    cert: Deno.readTextFileSync(vars.MTLS_CERT_FILE),
    key: Deno.readTextFileSync(vars.MTLS_KEY_FILE),
    ...(vars.MTLS_CA_FILE ? { caCerts: [Deno.readTextFileSync(vars.MTLS_CA_FILE)] } : {}),
  });
  return { fetch: (request) => fetch(request, { client }) };
}

/** Builds a role's handler and environment: its objects, its lists, its settings. */
export async function node(role: Role, vars: Vars): Promise<Node> {
  const storage = storageOptions(vars, role);
  if (storage.dataDir !== ":memory:") Deno.mkdirSync(storage.dataDir, { recursive: true });
  const LISTS = kvAt(storage);
  const namespaces: DenoNamespace[] = [];
  const closers: (() => void)[] = [];
  const env: Record<string, unknown> = { DO_JURISDICTION: "none", ...vars, LISTS };
  const bind = (binding: string, cls: ConstructorParameters<typeof DenoNamespace>[1]) => {
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
    if (vars.GRANTS_BACKEND === "deno-kv") {
      const kv = (await Deno.openKv(vars.DENO_KV_PATH)) as unknown as DenoKvLike;
      env.GRANTS = new KvGrantNamespace(new KvGrantStore(kv));
      closers.push(() => kv.close());
    }
    handler = dvza.default as unknown as Handler;
  } else if (role === "dvp") {
    const dvp = await import("../../dvp/index.ts");
    bind("SESSIONS", dvp.DvpSessions as never);
    bind("PERSONS", dvp.PersonStore as never);
    bind("AUDIT", dvp.AuditLog as never);
    bind("CEREMONIES", dvp.LoginCeremonies as never);
    bind("ACCOUNTS", dvp.PgoAccounts as never);
    env.MTLS = mtlsFetcher(vars);
    handler = dvp.default as unknown as Handler;
  } else {
    handler = (await import("../../registratie/index.ts")).default as unknown as Handler;
  }
  return {
    handler,
    env,
    close() {
      for (const ns of namespaces) ns.close();
      for (const close of closers) close();
      LISTS.close();
    },
  };
}

/** One request: the proxy's verdict on the client certificate becomes `request.cf`, then the worker runs. */
export function serveRequest(n: Node, trust: ProxyTrust, request: Request, peerAddress: string): Promise<Response> {
  const edge = asEdgeRequest(request, tlsVerdict(request.headers, peerAddress, trust));
  return Promise.resolve(n.handler.fetch(edge, n.env, context));
}

/** The peer of a connection as tls-client-auth.ts names it: its IP address, or `unix` for a Unix socket. */
export function peerOf(info: Deno.ServeHandlerInfo): string {
  return info.remoteAddr.transport === "unix" ? UNIX_PEER : info.remoteAddr.hostname;
}

/** The cron trigger's work (L-3, L-4), awaited to the end: what the handler hands to waitUntil included. */
export async function refreshLists(n: Node): Promise<void> {
  const pending: Promise<unknown>[] = [];
  const ctx: ExecutionContextLike = { ...context, waitUntil: (p) => void pending.push(p) };
  await n.handler.scheduled?.({ cron: "*/5 * * * *", scheduledTime: Date.now() }, n.env, ctx);
  await Promise.all(pending);
}

if (import.meta.main) {
  const vars = Deno.env.toObject();
  const role = (vars.ROLE ?? Deno.args[0]) as Role;
  if (!["dvza", "dvp", "registratie"].includes(role)) {
    console.error("usage: ROLE=dvza|dvp|registratie deno run ... workers/adapter/deno/serve.ts");
    Deno.exit(2);
  }
  let trust: ProxyTrust;
  try {
    trust = proxyTrust(vars.TRUSTED_PROXIES, vars.PROXY_SECRET);
  } catch (e) {
    console.error(JSON.stringify({ level: "error", event: "deno.config", message: (e as Error).message }));
    Deno.exit(2);
  }
  const n = await node(role, vars);
  // a PGO whose login configuration is refused (test Persons in staging or production) does not start.
  if (role === "dvp" && !(await (await import("../../dvp/index.ts")).loginReady(n.env as never))) Deno.exit(2);
  if (role !== "registratie") {
    await refreshLists(n).catch((e: Error) => console.error(JSON.stringify({ level: "error", event: "deno.refresh_failed", message: e.message })));
    Deno.cron(`${role} lists`, "*/5 * * * *", () => refreshLists(n));
  }
  const handler = (request: Request, info: Deno.ServeHandlerInfo) => serveRequest(n, trust, request, peerOf(info));
  if (vars.LISTEN_SOCKET) {
    Deno.serve({ path: vars.LISTEN_SOCKET, onListen: () => console.log(JSON.stringify({ level: "info", event: "deno.listening", role, socket: vars.LISTEN_SOCKET })) }, handler);
  } else {
    Deno.serve(
      { port: Number(vars.PORT ?? 8787), hostname: vars.HOSTNAME ?? "127.0.0.1", onListen: ({ hostname, port }) => console.log(JSON.stringify({ level: "info", event: "deno.listening", role, hostname, port })) },
      handler,
    );
  }
}
