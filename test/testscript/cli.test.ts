/** The command line: a real `node` process against a local HTTP server; its exit status decides `npm run qualify`. */
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertAction, oneTest, searchOperation, tempFiles, testScript } from "./helpers.ts";

const CLI = new URL("./cli.mjs", import.meta.url).pathname;

/** What the server answers, set per test. */
let status = 200;
const seen: { url: string; authorization: string | undefined }[] = [];
/** The --header a request carried. */
const extra: (string | undefined)[] = [];
const server = http.createServer((req, res) => {
  seen.push({ url: req.url ?? "", authorization: req.headers.authorization });
  extra.push(req.headers["x-forwarded-client"] as string | undefined);
  res.writeHead(status, { "content-type": "application/fhir+json" });
  res.end(JSON.stringify(status === 200 ? { resourceType: "Bundle", type: "searchset" } : { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "exception" }] }));
});
let base = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const script = (id: string) =>
  testScript(
    `<variable><name value="patient-token"/><defaultValue value="Bearer 93cde269-ce35-4077-a39d-19296670e949"/></variable>` +
      oneTest(
        searchOperation("Observation", "?code=${code}", `<requestHeader><field value="Authorization"/><value value="\${patient-token}"/></requestHeader>`) +
          assertAction(`<responseCode value="200"/><operator value="equals"/>`) +
          assertAction(`<resource value="Bundle"/>`) +
          assertAction(`<expression value="Bundle.total.exists()"/><warningOnly value="true"/>`),
      ),
    id,
  );
const dir = tempFiles({ "scripts/a.xml": script("a"), "scripts/b.xml": script("b"), "scripts/notes.xml": "<notes/>" });

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

describe("cli.mjs", () => {
  it("exits 0 when nothing failed (a warning does not fail), printing the report without tokens", async () => {
    status = 200;
    seen.length = 0;
    const run = await cli(["--script", join(dir, "scripts/a.xml"), "--base", base, "--var", "code=http://loinc.org|85354-9", "--token-for", "medmij-bgz-patient-ts-01=Bearer cli-secret-token"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(seen).toEqual([{ url: "/fhir/Observation?code=http://loinc.org%7C85354-9", authorization: "Bearer cli-secret-token" }]);
    expect(run.stdout).toContain("t1: 2 passed, 0 failed, 1 warning, 0 not evaluated; 1 operation performed");
    expect(run.stdout).not.toContain("cli-secret-token");
  }, 30_000);

  it("exits 1 when an assert failed, and runs every TestScript of a directory", async () => {
    status = 500;
    const run = await cli(["--script", join(dir, "scripts"), "--base", base, "--var", "code=x"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAILED TestScript.test[0].action[1].assert: expected the status equals "200", got "500"');
    expect(run.stdout).toContain("ALL 2 scripts: 0 passed, 4 failed, 2 warnings, 0 not evaluated; 2 operations performed");
  }, 30_000);

  it("--standard runs a vendored standard's provider-side scripts; tokens from --tokens, else QUALIFY_TOKEN, never printed", async () => {
    status = 200;
    seen.length = 0;
    extra.length = 0;
    // BgZ scenario 1.1 names one patient (medmij-bgz-patient-ts-01, XXX_Helleman) ...
    const tokens = join(tempFiles({ "t.json": JSON.stringify({ "medmij-bgz-patient-ts-01": "file-token-1" }) }), "t.json");
    const run = await cli(["--standard", "BgZ-3-0", "--only", "1-1-serve-bgz-json", "--base", base, "--tokens", tokens, "--header", "x-forwarded-client=pgo"], { QUALIFY_TOKEN: "env-token" });
    expect(run.stderr).toBe("");
    expect(seen).toHaveLength(28);
    expect(new Set(seen.map((s) => s.authorization))).toEqual(new Set(["Bearer file-token-1"]));
    expect(new Set(extra)).toEqual(new Set(["pgo"]));
    expect(run.stdout).toContain("medmij-bgz-xis-1-1-serve-bgz-json.xml");
    expect(run.stdout).not.toMatch(/file-token-1|env-token/);
    // ... and scenario 1.2 another one, whose token comes from the environment.
    seen.length = 0;
    await cli(["--standard", "BgZ-3-0", "--only", "1-2-serve-bgz-json", "--base", base, "--tokens", tokens], { QUALIFY_TOKEN: "env-token" });
    expect(new Set(seen.map((s) => s.authorization))).toEqual(new Set(["Bearer env-token"]));
  }, 60_000);

  it("exits 2 on a usage error", async () => {
    expect((await cli(["--script", join(dir, "scripts/a.xml")])).code).toBe(2);
    expect((await cli(["--script", join(dir, "scripts/a.xml"), "--base", base, "--var", "novalue"])).code).toBe(2);
    expect((await cli(["--script", join(dir, "scripts/a.xml"), "--base", base, "--cert", "c.pem"])).code).toBe(2);
    expect((await cli(["--standard", "../../etc", "--base", base])).code).toBe(2);
    expect((await cli(["--standard", "BgZ-3-0", "--only", "no-such-script", "--base", base])).code).toBe(2);
    const wrong = join(tempFiles({ "t.json": JSON.stringify({ "not-a-patient": "x" }) }), "t.json");
    expect((await cli(["--standard", "BgZ-3-0", "--base", base, "--tokens", wrong])).code).toBe(2);
  }, 30_000);
});
