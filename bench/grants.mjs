// Issues authorization codes straight into a DVZA's GrantStore (through Miniflare's Durable Object
// RPC), the way the consent step does, so the token benchmark can spend one fresh code per request
// without timing the front channel. Same hashing and sharding as workers/dvza/grants.ts.
import { createHash, randomBytes } from "node:crypto";

export const SHARDS = Number(process.env.BENCH_SHARDS ?? 4);

export function hashHandle(handle, shards = SHARDS) {
  const digest = createHash("sha256").update(handle).digest();
  return { hash: digest.toString("hex"), shard: digest[0] % shards };
}

export async function issueCodes(mf, workerName, grant, count, { concurrency = 64 } = {}) {
  const ns = await mf.getDurableObjectNamespace("GRANTS", workerName);
  const stubs = new Map();
  const stub = (shard) => {
    if (!stubs.has(shard)) stubs.set(shard, ns.get(ns.idFromName(`grants-${shard}`)));
    return stubs.get(shard);
  };
  const codes = [];
  let next = 0;
  async function worker() {
    while (next < count) {
      next++;
      const code = randomBytes(32).toString("base64url");
      const h = hashHandle(code);
      const put = await stub(h.shard).putCode(h.hash, grant);
      if (put.stored) codes.push(code);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return codes;
}
