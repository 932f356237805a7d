/**
 * The GrantStore in PostgreSQL (GRANTS_BACKEND=postgres): the same RPC surface as durable-objects/grant-store.ts
 * (putCode, redeem, introspect) and the same decisions (`redemptionRefusal`), for Deno instances on any number of
 * hosts that share one database (SPEC AS-7, AS-10, X-6).
 *
 * Exactly-once comes from the database, never from process memory: a redemption reads its code with
 * `SELECT ... FOR UPDATE`, a locking read, so from that read to the commit no other transaction (on this instance
 * or any other) can read the code for a redemption of its own; it waits, and then reads the row as committed
 * (READ COMMITTED re-reads a row it waited for), redeemed, which is a replay: the code's tokens are revoked in the
 * same transaction (RFC 6749 §4.1.2). There is no read-then-write window: the read is the lock.
 *
 * Group commit (postgres.ts): the redemptions and new codes that arrive together share one transaction and one
 * WAL flush; each answer is released only after that commit. Inside a batch the codes are locked in one statement
 * in one global order (ORDER BY object, code_hash), so two batches never wait for each other in a cycle; the
 * redemptions then run in arrival order against the rows as they evolve within the batch, exactly as they would one
 * after another. A batch that breaks off (connection lost, commit unanswered) answers every one of its requests with
 * an error: a token is handed out only when the commit that stores it has returned, so a dropped connection can
 * cost a code (its next presentation is a replay and revokes whatever was stored) but never yields two tokens, nor
 * one that was not stored.
 */
import { LIFETIME_MS, REMEMBER_CODE_MS, grantOf, redemptionRefusal, type CodeRow, type Grant, type Presented, type RedeemResult, type TokenGrant, type TokenRow } from "../../../durable-objects/grant-store.ts";
import { PgNamespace, type BatchKind, type GroupCommit, type Pg, type Sql, type Tx } from "./postgres.ts";

export const GRANTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS medmij_codes (
  object text COLLATE "C" NOT NULL, code_hash text COLLATE "C" NOT NULL,
  client_id text NOT NULL, redirect_uri text NOT NULL, scope text NOT NULL, zorgaanbieder text NOT NULL, gegevensdienst text NOT NULL,
  subject text NOT NULL, token_endpoint text NOT NULL, issued_at bigint NOT NULL, expires_at bigint NOT NULL,
  redeemed_at bigint, replayed_at bigint, code_challenge text,
  PRIMARY KEY (object, code_hash)
);
CREATE TABLE IF NOT EXISTS medmij_tokens (
  object text COLLATE "C" NOT NULL, token_hash text COLLATE "C" NOT NULL, code_hash text COLLATE "C" NOT NULL,
  client_id text NOT NULL, redirect_uri text NOT NULL, scope text NOT NULL, zorgaanbieder text NOT NULL, gegevensdienst text NOT NULL,
  subject text NOT NULL, token_endpoint text NOT NULL, issued_at bigint NOT NULL, expires_at bigint NOT NULL, revoked_at bigint,
  PRIMARY KEY (object, token_hash)
);
CREATE INDEX IF NOT EXISTS medmij_tokens_by_code ON medmij_tokens (object, code_hash);
`;

interface PutInput {
  readonly object: string;
  readonly codeHash: string;
  readonly grant: Grant;
}
interface PutOutput {
  readonly stored: boolean;
  readonly expiresAt: number;
}

const PUT: BatchKind<PutInput, PutOutput> = {
  order: 0,
  async run(tx, inputs, now) {
    const expiresAt = now + LIFETIME_MS;
    const col = <T>(f: (i: PutInput) => T) => inputs.map(f);
    const inserted = await tx<{ object: string; code_hash: string }[]>`
      INSERT INTO medmij_codes (object, code_hash, client_id, redirect_uri, scope, zorgaanbieder, gegevensdienst, subject, token_endpoint, issued_at, expires_at, code_challenge)
      SELECT o, h, c, r, s, z, g, sub, te, ${now}::bigint, ${expiresAt}::bigint, cc
      FROM unnest(${col((i) => i.object)}::text[], ${col((i) => i.codeHash)}::text[], ${col((i) => i.grant.clientId)}::text[], ${col((i) => i.grant.redirectUri)}::text[],
                  ${col((i) => i.grant.scope)}::text[], ${col((i) => i.grant.zorgaanbieder)}::text[], ${col((i) => i.grant.gegevensdienstId)}::text[],
                  ${col((i) => i.grant.subject)}::text[], ${col((i) => i.grant.tokenEndpoint)}::text[], ${col((i) => i.grant.codeChallenge ?? null) as string[]}::text[])
        AS u(o, h, c, r, s, z, g, sub, te, cc)
      ON CONFLICT DO NOTHING
      RETURNING object, code_hash`;
    // AS-10: never two identical valid codes. Of two equal hashes in one batch (2^-256) the first is stored.
    const fresh = new Set(inserted.map((r) => `${r.object}\n${r.code_hash}`));
    return inputs.map((i) => ({ stored: fresh.delete(`${i.object}\n${i.codeHash}`), expiresAt }));
  },
};

interface RedeemInput {
  readonly object: string;
  readonly codeHash: string;
  readonly tokenHash: string;
  readonly presented: Presented;
}

const key = (object: string, hash: string) => `${object}\n${hash}`;

const REDEEM: BatchKind<RedeemInput, RedeemResult> = {
  order: 1,
  async run(tx: Tx, inputs, now) {
    const wanted = [...new Map(inputs.map((i) => [key(i.object, i.codeHash), i])).values()];
    // The locking read: every code of the batch, locked in one global order.
    const rows = await tx<(CodeRow & { object: string; code_hash: string })[]>`
      SELECT c.object, c.code_hash, c.client_id, c.redirect_uri, c.scope, c.zorgaanbieder, c.gegevensdienst, c.subject, c.token_endpoint,
             c.expires_at, c.redeemed_at, c.code_challenge
      FROM medmij_codes c
      JOIN unnest(${wanted.map((i) => i.object)}::text[], ${wanted.map((i) => i.codeHash)}::text[]) AS u(o, h) ON c.object = u.o AND c.code_hash = u.h
      ORDER BY c.object, c.code_hash
      FOR UPDATE OF c`;
    const codes = new Map(rows.map((r) => [key(r.object, r.code_hash), { ...r }]));
    const issued: { input: RedeemInput; row: CodeRow }[] = [];
    const replayed = new Map<string, RedeemInput>();
    const firstReplay = new Map<number, string>();
    const out: (RedeemResult | undefined)[] = inputs.map((input, n) => {
      const k = key(input.object, input.codeHash);
      const row = codes.get(k);
      if (!row) return { ok: false, refusal: "unknown", revokedTokens: 0 };
      if (row.redeemed_at !== null) {
        // The first replay of a code in the batch revokes (and counts) its tokens; later ones find none left.
        if (!replayed.has(k)) {
          replayed.set(k, input);
          firstReplay.set(n, k);
          return undefined;
        }
        return { ok: false, refusal: "replayed", revokedTokens: 0 };
      }
      const refusal = redemptionRefusal(row, input.presented, now);
      if (refusal) return { ok: false, refusal, revokedTokens: 0 };
      row.redeemed_at = now;
      issued.push({ input, row });
      return { ok: true, grant: grantOf(row), expiresAt: now + LIFETIME_MS };
    });
    const writes: Promise<unknown>[] = [];
    if (issued.length > 0) {
      const col = <T>(f: (x: { input: RedeemInput; row: CodeRow }) => T) => issued.map(f);
      // One statement: the codes marked redeemed and their tokens stored (a data-modifying CTE runs in full).
      writes.push(tx`
        WITH u AS (
          SELECT * FROM unnest(${col((x) => x.input.object)}::text[], ${col((x) => x.input.tokenHash)}::text[], ${col((x) => x.input.codeHash)}::text[], ${col((x) => x.row.client_id)}::text[],
                               ${col((x) => x.row.redirect_uri)}::text[], ${col((x) => x.row.scope)}::text[], ${col((x) => x.row.zorgaanbieder)}::text[], ${col((x) => x.row.gegevensdienst)}::text[],
                               ${col((x) => x.row.subject)}::text[], ${col((x) => x.row.token_endpoint)}::text[]) AS u(o, t, h, c, r, s, z, g, sub, te)
        ), redeemed AS (
          UPDATE medmij_codes c SET redeemed_at = ${now}::bigint FROM u WHERE c.object = u.o AND c.code_hash = u.h
        )
        INSERT INTO medmij_tokens (object, token_hash, code_hash, client_id, redirect_uri, scope, zorgaanbieder, gegevensdienst, subject, token_endpoint, issued_at, expires_at)
        SELECT o, t, h, c, r, s, z, g, sub, te, ${now}::bigint, ${now + LIFETIME_MS}::bigint FROM u`);
    }
    let revoked: { object: string; code_hash: string }[] = [];
    if (replayed.size > 0) {
      const list = [...replayed.values()];
      // After the inserts (one connection runs them in order): a code redeemed and replayed in one batch loses its new token too.
      const revoking = tx<{ object: string; code_hash: string }[]>`
        UPDATE medmij_tokens t SET revoked_at = ${now}::bigint
        FROM unnest(${list.map((i) => i.object)}::text[], ${list.map((i) => i.codeHash)}::text[]) AS u(o, h)
        WHERE t.object = u.o AND t.code_hash = u.h AND t.revoked_at IS NULL
        RETURNING t.object, t.code_hash`;
      writes.push(revoking.then((r) => (revoked = [...r])));
      writes.push(tx`
        UPDATE medmij_codes c SET replayed_at = ${now}::bigint
        FROM unnest(${list.map((i) => i.object)}::text[], ${list.map((i) => i.codeHash)}::text[]) AS u(o, h)
        WHERE c.object = u.o AND c.code_hash = u.h`);
    }
    await Promise.all(writes);
    const revokedPerCode = new Map<string, number>();
    for (const r of revoked) revokedPerCode.set(key(r.object, r.code_hash), (revokedPerCode.get(key(r.object, r.code_hash)) ?? 0) + 1);
    return out.map((r, n) => r ?? { ok: false, refusal: "replayed", revokedTokens: revokedPerCode.get(firstReplay.get(n)!) ?? 0 });
  },
};

export class PgGrantStore {
  constructor(
    private readonly sql: Sql,
    private readonly commit: GroupCommit,
    private readonly object: string,
  ) {}

  putCode(codeHash: string, grant: Grant): Promise<{ stored: boolean; expiresAt: number }> {
    return this.commit.submit(PUT, { object: this.object, codeHash, grant });
  }

  redeem(codeHash: string, tokenHash: string, presented: Presented): Promise<RedeemResult> {
    return this.commit.submit(REDEEM, { object: this.object, codeHash, tokenHash, presented });
  }

  /** Reads see committed rows only, so nothing uncommitted can be vouched for. */
  async introspect(tokenHash: string): Promise<TokenGrant | null> {
    const row = (await this.sql<TokenRow[]>`
      SELECT client_id, redirect_uri, scope, zorgaanbieder, gegevensdienst, subject, token_endpoint, expires_at, revoked_at
      FROM medmij_tokens WHERE object = ${this.object} AND token_hash = ${tokenHash}`)[0];
    if (!row || row.revoked_at !== null || Date.now() >= row.expires_at) return null;
    return { ...grantOf(row), expiresAt: row.expires_at };
  }
}

export function pgGrantNamespace(pg: Pg, commit: GroupCommit): PgNamespace<PgGrantStore> {
  return new PgNamespace(pg, (object) => new PgGrantStore(pg.sql, commit, object));
}

/** The GrantStore's alarm: expired tokens and long-expired codes go (AS-7: only the last half hour is kept). */
export async function purgeGrants(sql: Sql, now = Date.now()): Promise<void> {
  await sql`DELETE FROM medmij_tokens WHERE expires_at <= ${now}::bigint`;
  await sql`DELETE FROM medmij_codes WHERE issued_at + ${REMEMBER_CODE_MS}::bigint <= ${now}::bigint`;
}
