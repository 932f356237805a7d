/** Shared by the Deno suite: a role served over real HTTP, Registratie with the seed lists, the proxy's verdict. */
import assert from "node:assert/strict";
import { node, serveRequest, type Node } from "../../workers/adapter/deno/serve.ts";
import { PROXY_SECRET_HEADER, proxyTrust } from "../../workers/adapter/deno/tls-client-auth.ts";

const ADMIN_TOKEN = "deno-admin-token-0123456789abcdef";
const LISTS = ["MedMij_Zorgaanbiederslijst.xml", "MedMij_Whitelist.xml", "MedMij_OAuthclientlist.xml", "MedMij_Gegevensdienstnamenlijst.xml"];

export interface Served {
  readonly node: Node;
  readonly url: string;
  stop(): Promise<void>;
}

/** What the tests' stand-in for nginx adds to every request (X-7: trust needs the address and this secret). */
export const TEST_PROXY_SECRET = "deno-test-proxy-secret-0123456789abcdef";

export async function serve(n: Node, trusted: string): Promise<Served> {
  const controller = new AbortController();
  const set = proxyTrust(trusted, trusted ? TEST_PROXY_SECRET : undefined);
  let port = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", signal: controller.signal, onListen: (a) => (port = a.port) }, (request, info) =>
    serveRequest(n, set, request, (info.remoteAddr as Deno.NetAddr).hostname),
  );
  return {
    node: n,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      controller.abort();
      await server.finished;
    },
  };
}

/** A grant of the seed lists: a code for it is redeemable by CLIENT at umcharderwijk's token endpoint. */
export const GRANT = {
  clientId: "dvp.gezondheidskluis.localhost",
  redirectUri: "https://dvp.gezondheidskluis.localhost/oauth/callback",
  scope: "umcharderwijk~48",
  zorgaanbieder: "umcharderwijk@medmij",
  gegevensdienstId: "48",
  subject: "999990019",
  tokenEndpoint: "https://umcharderwijk.zorgbridge.localhost/oauth/token",
};

/** What nginx forwards for a verified client certificate with this CN (scripts/deno/nginx.conf.sh). */
export const viaProxy = (cn: string) => ({ [PROXY_SECRET_HEADER]: TEST_PROXY_SECRET, "x-ssl-client-verify": "SUCCESS", "x-ssl-client-s-dn": `CN=${cn},O=Test,C=NL` });


/** MedMij Registratie as the Deno registratie role, the kv-seed lists published through its admin API. */
export async function registratieWithLists(dir: string): Promise<Served> {
  const registratie = await serve(await node("registratie", { DATA_DIR: `${dir}/registratie`, ADMIN_TOKEN }), "");
  for (const file of LISTS) {
    const xml = await Deno.readTextFile(new URL(`../../kv-seed/lists/${file}`, import.meta.url));
    const r = await fetch(`${registratie.url}/admin/lists/${file}`, { method: "PUT", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/xml" }, body: xml });
    assert.equal(r.status < 300, true, `publish ${file}: HTTP ${r.status} ${await r.text()}`);
  }
  return registratie;
}

export interface Instance {
  readonly url: string;
  readonly port: number;
  readonly process: Deno.ChildProcess;
  /** SIGTERM, and the exit awaited. */
  stop(): Promise<void>;
}

/**
 * One instance of a role as its own process (workers/adapter/deno/serve.ts), as systemd would run it; resolves when
 * it listens. Its log is drained (and echoed with MEDMIJ_TEST_LOG=1).
 */
export async function spawnInstance(role: "dvza" | "dvp" | "registratie", vars: Record<string, string>): Promise<Instance> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("../../workers/adapter/deno/serve.ts", import.meta.url).pathname],
    env: { PATH: Deno.env.get("PATH") ?? "", PORT: "0", ...vars, ROLE: role },
    stdout: "piped",
    stderr: Deno.env.get("MEDMIJ_TEST_LOG") ? "inherit" : "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const echo = !!Deno.env.get("MEDMIJ_TEST_LOG");
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the ${role} instance exited before listening: ${buffered.slice(-2000)}`);
    buffered += value;
    const m = /"event":"deno\.listening".*?"port":(\d+)/.exec(buffered);
    if (m) {
      // Keep draining its log so the pipe never fills.
      void (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) return;
          if (echo) console.log(r.value.trimEnd());
        }
      })();
      const port = Number(m[1]);
      return {
        url: `http://127.0.0.1:${port}`,
        port,
        process: child,
        async stop() {
          try {
            child.kill("SIGTERM");
          } catch {
            // already gone
          }
          await child.status;
        },
      };
    }
  }
}
