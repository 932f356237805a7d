/**
 * Deno: the Durable Object classes on the SQLite shim (workers/adapter/deno). The same GrantStore that runs
 * on workerd, with the guarantees the product rests on: exactly-once redemption under concurrency (AS-10),
 * durability across a restart, all-or-nothing transactions, alarms that survive a restart.
 */
import assert from "node:assert/strict";
import { GrantStore, type Grant } from "../../durable-objects/grant-store.ts";
import { DenoNamespace, DurableObject } from "../../workers/adapter/deno/durable-object.ts";
import { GRANT } from "./helpers.ts";

const PRESENTED = { clientId: GRANT.clientId, redirectUri: GRANT.redirectUri, tokenEndpoint: GRANT.tokenEndpoint };

const randomHex = () => Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join("");

type Grants = {
  putCode(h: string, g: Grant): Promise<{ stored: boolean }>;
  redeem(c: string, t: string, p: typeof PRESENTED): Promise<{ ok: boolean; refusal?: string }>;
  introspect(t: string): Promise<unknown>;
};
const grantsIn = (dataDir: string) => new DenoNamespace("GRANTS", GrantStore as never, {}, { dataDir });
const stubOf = (ns: DenoNamespace, name = "grants-0") => ns.get(ns.idFromName(name)) as unknown as Grants;

Deno.test("AS-10 on Deno: 64 concurrent redemptions of one code issue exactly one token, and the replays revoke it", async () => {
  const dir = await Deno.makeTempDir();
  const ns = grantsIn(dir);
  try {
    for (let round = 0; round < 20; round++) {
      const grants = stubOf(ns, `grants-${round % 4}`);
      const code = randomHex();
      assert.equal((await grants.putCode(code, GRANT)).stored, true);
      const tokens = Array.from({ length: 64 }, randomHex);
      const results = await Promise.all(tokens.map((t) => grants.redeem(code, t, PRESENTED)));
      const winners = results.flatMap((r, i) => (r.ok ? [tokens[i]!] : []));
      assert.equal(winners.length, 1, `round ${round}: exactly one token`);
      assert.deepEqual(new Set(results.filter((r) => !r.ok).map((r) => r.refusal)), new Set(["replayed"]));
      // RFC 6749 §4.1.2: a replayed code revokes what was issued from it.
      assert.equal(await grants.introspect(winners[0]!), null);
    }
  } finally {
    ns.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AS-10 on Deno: a code survives a restart of the process's objects, and is still redeemable exactly once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const code = randomHex();
    const first = grantsIn(dir);
    await stubOf(first).putCode(code, GRANT);
    first.close();

    const second = grantsIn(dir);
    const token = randomHex();
    assert.equal((await stubOf(second).redeem(code, token, PRESENTED)).ok, true);
    assert.ok(await stubOf(second).introspect(token), "the token is valid");
    second.close();

    const third = grantsIn(dir);
    assert.equal((await stubOf(third).redeem(code, randomHex(), PRESENTED)).refusal, "replayed");
    third.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("objects are isolated: one object's codes are unknown to another of the same class", async () => {
  const ns = grantsIn(":memory:");
  const code = randomHex();
  await stubOf(ns, "grants-0").putCode(code, GRANT);
  assert.equal((await stubOf(ns, "grants-1").redeem(code, randomHex(), PRESENTED)).refusal, "unknown");
  ns.close();
});

class Ledger extends DurableObject {
  constructor(ctx: ConstructorParameters<typeof DurableObject>[0], env: unknown) {
    super(ctx, env);
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS entries (n INTEGER)");
  }
  async addThenFail(n: number): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("INSERT INTO entries (n) VALUES (?)", n);
      this.ctx.storage.transactionSync(() => this.ctx.storage.sql.exec("INSERT INTO entries (n) VALUES (?)", n + 1));
      throw new Error("refused");
    });
  }
  async add(n: number): Promise<number> {
    return this.ctx.storage.sql.exec("INSERT INTO entries (n) VALUES (?)", n).rowsWritten;
  }
  async count(): Promise<number> {
    return this.ctx.storage.sql.exec<{ c: number }>("SELECT COUNT(*) AS c FROM entries").one().c;
  }
  async remind(at: number): Promise<void> {
    await this.ctx.storage.setAlarm(at);
  }
  override async alarm(): Promise<void> {
    this.ctx.storage.sql.exec("INSERT INTO entries (n) VALUES (-1)");
  }
  async leak(): Promise<{ list: number[] }> {
    return this.state;
  }
  private state = { list: [1, 2, 3] };
}
type LedgerStub = { addThenFail(n: number): Promise<void>; add(n: number): Promise<number>; count(): Promise<number>; remind(at: number): Promise<void>; leak(): Promise<{ list: number[] }> };

Deno.test("transactionSync: a throw rolls back every write, nested ones too; outside a transaction each write commits", async () => {
  const ns = new DenoNamespace("LEDGER", Ledger as never, {}, { dataDir: ":memory:" });
  const ledger = ns.get(ns.idFromName("one")) as unknown as LedgerStub;
  await assert.rejects(ledger.addThenFail(1), /refused/);
  assert.equal(await ledger.count(), 0);
  assert.equal(await ledger.add(7), 1);
  assert.equal(await ledger.count(), 1);
  ns.close();
});

Deno.test("RPC semantics: a caller gets a copy of the result, never a reference into the object's state", async () => {
  const ns = new DenoNamespace("LEDGER", Ledger as never, {}, { dataDir: ":memory:" });
  const ledger = ns.get(ns.idFromName("one")) as unknown as LedgerStub;
  const copy = await ledger.leak();
  copy.list.push(4);
  assert.deepEqual((await ledger.leak()).list, [1, 2, 3]);
  ns.close();
});

Deno.test("an alarm set before a restart fires after it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = new DenoNamespace("LEDGER", Ledger as never, {}, { dataDir: dir });
    await (first.get(first.idFromName("one")) as unknown as LedgerStub).remind(Date.now() + 300);
    first.close();
    const second = new DenoNamespace("LEDGER", Ledger as never, {}, { dataDir: dir });
    const ledger = second.get(second.idFromName("one")) as unknown as LedgerStub;
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await ledger.count(), 1, "the alarm handler ran once");
    second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AS-10 output gate: a call's answer is released only after its writes are committed (group commit), and one commit serves many calls", async () => {
  const dir = await Deno.makeTempDir();
  const { DatabaseSync } = await import("node:sqlite");
  try {
    const ns = new DenoNamespace("LEDGER", Ledger as never, {}, { dataDir: dir });
    const ledger = ns.get(ns.idFromName("one")) as unknown as LedgerStub;
    await ledger.count();
    const file = `${dir}/LEDGER/${ns.idFromName("one").toString()}.sqlite`;
    // Another connection sees only what is committed: every answered write is already there.
    const other = new DatabaseSync(file);
    const committed = () => (other.prepare("SELECT COUNT(*) AS c FROM entries").get() as { c: number }).c;
    const answered = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.add(i).then(() => committed())));
    // All 20 ran in one turn: one commit, and no answer before it (without the gate each would see 0 here).
    assert.deepEqual(answered, Array(20).fill(20));
    assert.equal(committed(), 20);
    other.close();
    ns.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
