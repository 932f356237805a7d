/**
 * DigiD simulator (development and tests only; SPEC S-6). Behaves like DigiD's SAML artifact binding
 * towards the Authorization Server: the Person "logs in" here, the browser carries a one-time
 * artifact back to the AS, and the AS resolves it on the back channel (POST /resolve).
 */
import { Hono } from "hono";
import type { DigidArtifacts } from "../../durable-objects/digid-artifacts.ts";
import { randomHandle, sha256Hex } from "../shared/crypto.ts";
import { placed } from "../shared/durable/placement.ts";
import { errorPage, h, page } from "../shared/html/page.ts";
import { BodyTooLargeError, readTextCapped } from "../shared/http/body.ts";
import { isFormEncoded } from "../shared/http/params.ts";
import { redirectTo, withQuery } from "../shared/oauth/errors.ts";
import { isValidBsn } from "../shared/bsn.ts";
import { TEST_PERSONS } from "./persons.ts";
import type { ObjectNamespace, ObjectStub, WorkerHandler } from "../shared/ports.ts";

export { DigidArtifacts } from "../../durable-objects/digid-artifacts.ts";

export interface Env {
  ARTIFACTS: ObjectNamespace<DigidArtifacts>;
  DO_JURISDICTION?: string;
}

const RELAY = /^[A-Za-z0-9_-]{43}$/;
const BANNER = "DigiD simulator — alleen voor ontwikkeling";

/** Only an AS's own return endpoint, over https: the simulator is no open redirector. */
function validReturn(raw: string | null): string | undefined {
  if (!raw || raw.length > 512) return undefined;
  try {
    const u = new URL(raw);
    return u.protocol === "https:" && u.pathname === "/oauth/authn/return" && u.search === "" && u.hash === "" && u.username === "" ? u.href : undefined;
  } catch {
    return undefined;
  }
}

function store(env: Env): ObjectStub<DigidArtifacts> {
  const ns = placed(env, env.ARTIFACTS);
  return ns.get(ns.idFromName("artifacts"));
}

const app = new Hono<{ Bindings: Env }>();

app.get("/login", (c) => {
  const relay = c.req.query("RelayState") ?? "";
  const ret = validReturn(c.req.query("return") ?? null);
  if (!RELAY.test(relay) || !ret) return errorPage(400, "Ongeldig inlogverzoek", "Het inlogverzoek mist gegevens of is ongeldig.");
  return page({
    title: "Inloggen met DigiD (simulator)",
    heading: "Inloggen met DigiD",
    banner: BANNER,
    body: h`<p><span class="dev">Simulator</span> Dit is geen echte DigiD. Kies een testpersoon.</p>
<form method="post" action="/login">
<label for="bsn">Testpersoon</label>
<select id="bsn" name="bsn">${TEST_PERSONS.map((p) => h`<option value="${p.bsn}">${p.naam} (BSN ${p.bsn})</option>`)}</select>
<input type="hidden" name="RelayState" value="${relay}">
<input type="hidden" name="return" value="${ret}">
<div class="actions"><button class="primary" type="submit">Inloggen</button></div>
</form>`,
    formTargets: [new URL(ret).origin],
  });
});

app.post("/login", async (c) => {
  let form: URLSearchParams;
  try {
    if (!isFormEncoded(c.req.header("content-type") ?? null)) throw new Error("not a form");
    form = new URLSearchParams(await readTextCapped(c.req.raw, 2048));
  } catch (e) {
    return errorPage(e instanceof BodyTooLargeError ? 413 : 400, "Ongeldig formulier", "Het formulier kon niet worden gelezen.");
  }
  const bsn = form.get("bsn") ?? "";
  const relay = form.get("RelayState") ?? "";
  const ret = validReturn(form.get("return"));
  if (!RELAY.test(relay) || !ret || !isValidBsn(bsn) || !TEST_PERSONS.some((p) => p.bsn === bsn)) {
    return errorPage(400, "Inloggen mislukt", "Onbekende testpersoon of ongeldig verzoek.");
  }
  const artifact = randomHandle();
  await store(c.env).put(await sha256Hex(artifact), bsn);
  return redirectTo(withQuery(ret, { SAMLart: artifact, RelayState: relay }));
});

/** Back channel: the AS exchanges an artifact for the subject, once. */
app.post("/resolve", async (c) => {
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });
  let artifact: string;
  try {
    artifact = new URLSearchParams(await readTextCapped(c.req.raw, 1024)).get("artifact") ?? "";
  } catch {
    return json(400, { error: "bad request" });
  }
  if (!RELAY.test(artifact)) return json(400, { error: "bad artifact" });
  const subject = await store(c.env).resolve(await sha256Hex(artifact));
  return subject ? json(200, { subject }) : json(404, { error: "unknown, used or expired artifact" });
});

app.notFound(() => errorPage(404, "Niet gevonden", "Deze pagina bestaat niet."));

export default app satisfies WorkerHandler<Env>;
