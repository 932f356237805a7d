/**
 * SPEC X-9 on Deno: the DVP role with its accounts and login ceremonies on the SQLite shim. A passkey account
 * is created and used, survives a restart with its counter (a stale counter is refused afterwards too), and a
 * staging or production configuration that offers the test Persons does not start.
 */
import assert from "node:assert/strict";
import { node, type Node, type Vars } from "../../workers/adapter/deno/serve.ts";
import { SoftAuthenticator } from "../helpers/webauthn.ts";

const HOST = "dvp.example.nl";
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} };
const vars = (dir: string, extra: Vars = {}): Vars => ({ DATA_DIR: dir, PGO_LOGIN: "passkey", DVP_HOSTNAME: HOST, DVP_NAME: "Deno-PGO", REGISTRATIE_URL: "https://registratie.example.nl", ...extra });

/** A browser's cookies for the PGO, requests straight into the role's handler. */
function browser(n: () => Node) {
  const jar = new Map<string, string>();
  return async (path: string, body: unknown): Promise<Response> => {
    const headers = new Headers({ "content-type": "application/json" });
    if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await n().handler.fetch(new Request(`https://${HOST}${path}`, { method: "POST", headers, body: JSON.stringify(body) }), n().env, ctx);
    for (const line of (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      if (/max-age=0/i.test(line)) jar.delete(pair!.slice(0, eq));
      else jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return res;
  };
}

Deno.test("X-9: a passkey account on Deno: created, used, kept across a restart with its counter", async () => {
  const dir = await Deno.makeTempDir();
  let n = await node("dvp", vars(dir));
  try {
    const post = browser(() => n);
    const auth = await SoftAuthenticator.create();
    const { options } = (await (await post("/passkey/register/options", { naam: "Deno" })).json()) as { options: Parameters<SoftAuthenticator["attest"]>[0] };
    assert.equal((await post("/passkey/register", { credential: await auth.attest(options) })).status, 200);
    const login = async (counter: number) => {
      const { options: o } = (await (await post("/passkey/login/options", {})).json()) as { options: Parameters<SoftAuthenticator["assert"]>[0] };
      return (await post("/passkey/login", { credential: await auth.assert(o, { counter }) })).status;
    };
    assert.equal(await login(4), 200);
    // A restart: the same databases, new objects.
    n.close();
    n = await node("dvp", vars(dir));
    assert.equal(await login(3), 400, "a counter below the stored one is refused after a restart too");
    assert.equal(await login(5), 200);
  } finally {
    n.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("X-9: staging and production that offer the test Persons do not start", async () => {
  const dvp = await import("../../workers/dvp/index.ts");
  for (const env of ["staging", "production"]) {
    const n = await node("dvp", vars(":memory:", { DEPLOYMENT_ENV: env, PGO_LOGIN: "passkey,test-persons", DVP_NAME: `Deno-PGO ${env}` }));
    try {
      assert.equal(await dvp.loginReady(n.env as never), false);
    } finally {
      n.close();
    }
  }
  const ok = await node("dvp", vars(":memory:", { DEPLOYMENT_ENV: "production" }));
  try {
    assert.equal(await dvp.loginReady(ok.env as never), true);
  } finally {
    ok.close();
  }
});
