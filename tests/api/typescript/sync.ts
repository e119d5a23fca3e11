// An integrator's TypeScript sync, typed by openapi-typescript from the served schema and
// calling through openapi-fetch. tests/api/test_typescript_client.py compiles it with
// `tsc --strict` (a schema that types these calls wrongly fails there) and runs it against a
// live server; it prints what it saw as one JSON line.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Account = components["schemas"]["Account"];
declare const process: { env: Record<string, string | undefined> }; // node's, untyped here

const client = createClient<paths>({
  baseUrl: process.env.ASCEND_URL,
  headers: { Authorization: `Api-Key ${process.env.ASCEND_KEY}` },
});

function must<T>(what: string, data: T | undefined, error: unknown): T {
  if (data === undefined) {
    throw new Error(`${what}: ${JSON.stringify(error)}`);
  }
  return data;
}

async function until<T>(what: string, found: () => Promise<T | undefined>): Promise<T> {
  // Polls the API for a condition, as a CRM would, and gives up after 30 s.
  for (const started = Date.now(); Date.now() - started < 30_000; ) {
    const value = await found();
    if (value !== undefined) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

const started = new Date().toISOString();

const upsert = await client.POST("/api/v1/accounts/bulk/", {
  body: [
    { external_id: "SF/1", name: "Globex", arr: "250000.00" },
    { external_id: "SF-2", name: "Initech", industry: "" },
  ],
});
const upserted = must("upsert", upsert.data, upsert.error);
if (!("ids" in upserted)) {
  throw new Error("A 207 answers only ?all_or_nothing=false.");
}
const globex: number = upserted.ids[0];

const metrics = await client.POST("/api/v1/health-metrics/", {
  body: [{ external_id: "SF/1", metric: "nps", value: 40 }],
});
must("metrics", metrics.data, metrics.error);

const answers: Record<string, number> = JSON.parse(process.env.ASCEND_ANSWERS ?? "{}");
const submitted = await client.POST("/api/v1/assessments/", {
  body: { account: globex, answers },
});
const assessment = must("assessment", submitted.data, submitted.error);

const moved = await until("the migration", async () => {
  const feed = await client.GET("/api/v1/migrations/", {});
  return must("feed", feed.data, feed.error).results.find((event) => event.account === globex);
});

const scored: Account = await until("the new scores", async () => {
  const changed = await client.GET("/api/v1/accounts/", {
    params: { query: { changed_since: started, external_id: "SF/1" } },
  });
  const account = must("changed", changed.data, changed.error).results[0];
  return account?.segment ? account : undefined;
});

const byCrmId = await client.GET("/api/v1/accounts/by-external-id/{external_id}/", {
  params: { path: { external_id: "SF/1" } },
});
const found = must("by CRM id", byCrmId.data, byCrmId.error);

const missing = await client.GET("/api/v1/accounts/{id}/", {
  params: { path: { id: 2 ** 40 } },
});

const deleted = await client.DELETE("/api/v1/accounts/{id}/", {
  params: { path: { id: globex } },
});
const feedAfter = await client.GET("/api/v1/migrations/", {});
const kept = must("feed", feedAfter.data, feedAfter.error).results.find(
  (event) => event.id === moved.id,
);

console.log(
  JSON.stringify({
    created: upserted.created,
    cmi: assessment.cmi,
    to_segment: moved.to_segment,
    segment: scored.segment,
    chs: scored.chs,
    found: found.id === globex,
    missing: { status: missing.response.status, code: missing.error?.code },
    deleted: deleted.response.status,
    kept: { account: kept?.account, deleted: kept?.account_deleted_at !== null },
  }),
);
