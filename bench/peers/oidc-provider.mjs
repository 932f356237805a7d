// node-oidc-provider 9 as a reference authorization server for `npm run bench` (issue 10): its token endpoint
// with pre-minted codes, opaque access tokens and its in-memory storage (its fastest), in its own process so it
// does not share an event loop with the load generator. Prints {"port", "authorization", "redirectUri"} when listening.
//   GET /__bench/codes?n=N   mints N authorization codes (outside the measurement)
import { randomBytes } from "node:crypto";
import http from "node:http";
import Provider from "oidc-provider";

const CLIENT_ID = "bench-client";
const CLIENT_SECRET = "bench-secret-0123456789abcdef0123456789";
const REDIRECT = "https://dvp.gezondheidskluis.localhost/oauth/callback";

/**
 * Its fastest storage: a plain Map (the bundled development adapter is an LRU of 1,000 entries, which evicts
 * pre-minted codes before they are used and turns the measurement into invalid_grant answers).
 */
const store = new Map();
class MapAdapter {
  constructor(model) {
    this.model = model;
  }
  key(id) {
    return `${this.model}:${id}`;
  }
  async upsert(id, payload) {
    store.set(this.key(id), payload);
  }
  async find(id) {
    return store.get(this.key(id));
  }
  async findByUid() {
    return undefined;
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(id) {
    const p = store.get(this.key(id));
    if (p) p.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    store.delete(this.key(id));
  }
  async revokeByGrantId() {}
}

const provider = new Provider("http://127.0.0.1", {
  adapter: MapAdapter,
  clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token_endpoint_auth_method: "client_secret_basic", redirect_uris: [REDIRECT], response_types: ["code"], grant_types: ["authorization_code"] }],
  scopes: ["medmij"],
  features: { devInteractions: { enabled: false } },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  ttl: { AuthorizationCode: 600, AccessToken: 900, Grant: 3600 },
});
provider.on("server_error", (_ctx, e) => console.error(e));

async function mint(n) {
  const grant = new provider.Grant({ accountId: "999990019", clientId: CLIENT_ID });
  grant.addOIDCScope("medmij");
  const grantId = await grant.save();
  const codes = [];
  for (let i = 0; i < n; i++) {
    codes.push(await new provider.AuthorizationCode({ accountId: "999990019", clientId: CLIENT_ID, grantId, redirectUri: REDIRECT, scope: "medmij", authTime: Math.floor(Date.now() / 1000) }).save());
  }
  return codes;
}

const callback = provider.callback();
const server = http.createServer({ keepAlive: true }, (req, res) => {
  if (req.url?.startsWith("/__bench/codes")) {
    const n = Number(new URL(req.url, "http://x").searchParams.get("n") ?? 1);
    mint(n).then((codes) => res.end(JSON.stringify(codes)), (e) => ((res.statusCode = 500), res.end(String(e))));
    return;
  }
  callback(req, res);
});
server.keepAliveTimeout = 65_000;
const authorization = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`;
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port, authorization, redirectUri: REDIRECT })));
