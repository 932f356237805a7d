/**
 * A real PostgreSQL server for the Deno suite (Debian's postgresql package; npm test installs it through
 * scripts/ensure-debian.sh): a fresh cluster in a temporary directory on a free port, with the server's own
 * durability settings (fsync on, synchronous_commit on), run as the `postgres` user when the tests run as root
 * (PostgreSQL refuses to run as root), and removed at the end.
 */
import postgres from "postgres";

export const PG_BIN = Deno.env.get("PG_BIN") ?? "/usr/lib/postgresql/15/bin";
export const HAVE_POSTGRES = await Deno.stat(`${PG_BIN}/postgres`).then(() => true, () => false);

export interface PgServer {
  readonly url: string;
  readonly port: number;
  /** The URL of a database of this server, for an address and port of one's choosing (a proxy in between). */
  urlVia(host: string, port: number): string;
  /** A client of the test's own, to look at what is stored. */
  readonly sql: postgres.Sql;
  stop(): Promise<void>;
}

const isRoot = () => {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
};

async function run(cmd: string, args: string[]): Promise<void> {
  const [command, argv] = isRoot() ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  const out = await new Deno.Command(command, { args: argv, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}${new TextDecoder().decode(out.stdout)}`);
}

export async function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export async function startPostgres(): Promise<PgServer> {
  const dir = await Deno.makeTempDir({ prefix: "medmij-pg-" });
  if (isRoot()) await new Deno.Command("chown", { args: ["postgres:postgres", dir] }).output();
  const data = `${dir}/data`;
  await run(`${PG_BIN}/initdb`, ["-D", data, "-A", "trust", "-U", "medmij", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on -c synchronous_commit=on`;
  await run(`${PG_BIN}/pg_ctl`, ["-D", data, "-o", options, "-l", `${dir}/server.log`, "-w", "-t", "60", "start"]);
  const urlVia = (host: string, p: number) => `postgres://medmij@${host}:${p}/postgres`;
  const url = urlVia("127.0.0.1", port);
  const sql = postgres(url, { max: 4, onnotice: () => {}, types: { int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } } as never });
  return {
    url,
    port,
    urlVia,
    sql,
    async stop() {
      await sql.end({ timeout: 5 });
      await run(`${PG_BIN}/pg_ctl`, ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}
