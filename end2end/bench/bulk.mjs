// Target 3 of issue 11 and the Bulk Add figure, through HTTP against the real server process
// (scripts/bench starts it): Assign / Unassign / Rename Group over "all matching" 1,000 / 10,000 /
// 100,000 serials, timed from sending the request to its last byte, next to the SQL the server ran
// for the same request replayed bare in psql. Prints Markdown for BENCHMARKS.md; progress on stderr.
//
// The bare SQL is captured, never written here: a second server process whose connections log every
// statement (BENCH_CAPTURE_BASE) runs the same action; a deferred constraint trigger that fires only
// for that server's connections makes its COMMIT fail, so the captured request leaves no trace. The
// captured statements (BEGIN ... COMMIT, with literal values; capture.mjs) are then run in psql from
// the same state and committed, exactly as the server's request would have been.
//
// Settings (environment): BENCH_BASE, BENCH_CAPTURE_BASE, BENCH_DATABASE_URL, BENCH_PG_LOG (the
// cluster's log; without it the bare column says n/a), BENCH_RUNS (5; 3 at 100,000),
// BENCH_BARE_RUNS (as many as BENCH_RUNS, at most 3 at 100,000: each capture writes the request's
// parameters, megabytes at 100,000, to the cluster's log), BENCH_SQL_DIR (keeps the captured SQL),
// BENCH_SIZES (1000,10000,100000), BENCH_BULK_ADD (5000 entries; 0 skips).

import fs from "node:fs";
import { callOk, call, median, signIn, summary } from "./http.mjs";
import { capturedStatements, capturePids, logOffset, psqlRows, psqlTimed, settle, stoppedAtCommit } from "./capture.mjs";

const env = (k, d) => process.env[k] ?? d;
const BASE = env("BENCH_BASE");
const CAPTURE = env("BENCH_CAPTURE_BASE", "");
const DB = env("BENCH_DATABASE_URL");
const LOG = env("BENCH_PG_LOG", "");
const RUNS = Number(env("BENCH_RUNS", 5));
const BARE_RUNS = Number(env("BENCH_BARE_RUNS", RUNS));
const SIZES = env("BENCH_SIZES", "1000,10000,100000").split(",").map(Number);
const BULK_ADD = Number(env("BENCH_BULK_ADD", 5000));
const DUMP = env("BENCH_SQL_DIR", ""); // where the captured statements are kept, for a look
const CONTRACT = "110000001";
const PASSWORD = "seatkeeper-demo";
const TARGETS = { 1000: 30, 10000: 150, 100000: 3000 };
const RATIO_TARGET = 1.2;

const say = (...a) => console.error("bulk:", ...a);
const fmt = (x, d = 1) => (x === null || Number.isNaN(x) ? "n/a" : x.toFixed(d));
const met = (ok) => (ok === null ? "n/a" : ok ? "yes" : "**no**");

/**
 * A filter of the Products tab matching `size` serials of the contract (or as near as the seed's
 * numbers allow): a piece of a serial number typed in the search box, or nothing for all of them.
 */
async function filterFor(cookie, size) {
  const candidates = ["", "-1001", "-10001", "-100001", "-1000", "-10000", "-100000", "-1000001"];
  let best = null;
  for (const text of candidates) {
    const filter = { text, product: null, group: null, coordinator: null };
    const total = (await selectAll(BASE, cookie, filter)).AllMatching.expected;
    if (!best || Math.abs(total - size) < Math.abs(best.total - size)) best = { filter, total };
    if (total === size) break;
  }
  return best.filter;
}

const actions = {
  Assign: (person) => ({ Assign: { assignee: { Existing: person } } }),
  Unassign: () => "Unassign",
  "Rename Group": (name) => ({ RenameGroup: { group_name: name } }),
};

async function selectAll(base, cookie, filter) {
  const query = { contract_number: CONTRACT, filter, sort: "Serial", descending: false, page: 1, page_size: 25 };
  const { json } = await callOk(base, cookie, "serials/page", { query });
  return { AllMatching: { filter, expected: json.total, as_of_micros: json.as_of_micros } };
}

async function apply(base, cookie, filter, action) {
  const selection = await selectAll(base, cookie, filter);
  return callOk(base, cookie, "serials/apply", { contract_number: CONTRACT, selection, action });
}

// -------------------------------------------------------------------------------------------------
// Capture: the same request on the capture server, rolled back by a trigger at its COMMIT.

const TRIGGER_SQL = `set client_min_messages = warning;
create or replace function sk_bench_capture_abort() returns trigger language plpgsql as $f$
begin
  if current_setting('application_name') = 'sk-bench-capture' then
    raise exception 'sk-bench: captured, not committed';
  end if;
  return null;
end $f$;
drop trigger if exists sk_bench_capture_abort on serial_numbers;
create constraint trigger sk_bench_capture_abort after update on serial_numbers
  deferrable initially deferred for each row execute function sk_bench_capture_abort();`;
const DROP_TRIGGER_SQL = `set client_min_messages = warning; drop trigger if exists sk_bench_capture_abort on serial_numbers; drop function if exists sk_bench_capture_abort();`;

async function capture(captureCookie, filter, action) {
  psqlRows(DB, TRIGGER_SQL);
  try {
    const selection = await selectAll(CAPTURE, captureCookie, filter);
    const offset = logOffset(LOG);
    const reply = await call(CAPTURE, captureCookie, "serials/apply", { contract_number: CONTRACT, selection, action });
    await settle(LOG);
    const pids = capturePids(DB);
    // The server answers 500 with an error id; PostgreSQL's log says why.
    if (reply.status < 500 || !stoppedAtCommit(LOG, offset, pids)) {
      throw new Error(`the capture request was not stopped at its commit: ${reply.status} ${reply.body.slice(0, 200)}`);
    }
    let statements = capturedStatements(LOG, offset, pids);
    // After the refused COMMIT the pool's ROLLBACK: not part of the request as it would have run.
    const commit = statements.findLastIndex((x) => /^commit$/i.test(x.trim()));
    if (commit < 0) throw new Error("no COMMIT among the captured statements");
    statements = statements.slice(0, commit + 1);
    if (!statements.some((s) => /^update\b|\bupdate\s+serial_numbers\b/i.test(s))) {
      throw new Error(`no UPDATE of serial_numbers among the ${statements.length} captured statements`);
    }
    return statements;
  } finally {
    psqlRows(DB, DROP_TRIGGER_SQL);
  }
}

// -------------------------------------------------------------------------------------------------

async function main() {
  const cookie = await signIn(BASE, "cm@acme.example", PASSWORD);
  const captureCookie = CAPTURE && LOG ? await signIn(CAPTURE, "cm@acme.example", PASSWORD) : null;
  const people = Object.fromEntries(
    psqlRows(DB, "select email, id from people where email in ('sc1@acme.example','sc2@acme.example','sc3@acme.example','sc4@acme.example')").map((l) =>
      l.split("|"),
    ),
  );
  const [sc1, sc2, sc3, sc4] = ["sc1", "sc2", "sc3", "sc4"].map((p) => people[`${p}@acme.example`]);
  const lines = [];
  const out = (l = "") => lines.push(l);

  out(`### Bulk actions over "all matching", through HTTP (median; ms)`);
  out();
  out(`Each request is a signed-in \`POST /api/serials/apply\` to the release server, timed from sending to the last byte of the answer`);
  out(`(lock and check the selection, update, audit, outbox, commit). *Bare SQL* is every statement the server ran for the same request,`);
  out(`captured from PostgreSQL's log and replayed with its literal values in psql (\\timing, summed; committed). Median of ${RUNS} runs`);
  out(`(3 at 100,000) for the server, ${BARE_RUNS} (${Math.min(BARE_RUNS, 3)} at 100,000) for the bare SQL.`);
  out();
  out(`| serials | action | server ms | target | met | bare SQL ms | ratio (target <= ${RATIO_TARGET}) | met |`);
  out(`| ---: | --- | ---: | ---: | --- | ---: | ---: | --- |`);

  for (const size of SIZES) {
    const filter = await filterFor(cookie, size);
    const big = size >= 100000;
    const runs = big ? Math.min(RUNS, 3) : RUNS;
    const bareRuns = captureCookie ? (big ? Math.min(BARE_RUNS, 3) : BARE_RUNS) : 0;
    for (const name of ["Assign", "Unassign", "Rename Group"]) {
      const server = [];
      const bare = [];
      let total = 0;
      let bareError = null;
      // Every timed change must change every selected serial: assignments alternate people (the
      // server sc1/sc2, the bare SQL sc3/sc4), renames alternate names, an Unassign is preceded by
      // an Assign (untimed).
      // Each action starts from a vacuumed table, as autovacuum would leave it between bursts of work,
      // not from the dead rows of the runs before it.
      psqlRows(DB, "vacuum analyze serial_numbers");
      if (name === "Assign") await apply(BASE, cookie, filter, actions.Assign(sc4));
      for (let run = 0; run < runs; run++) {
        if (name === "Unassign") await apply(BASE, cookie, filter, actions.Assign(sc1));
        const action = name === "Assign" ? actions.Assign(run % 2 ? sc2 : sc1) : name === "Unassign" ? actions.Unassign() : actions["Rename Group"](`Bench ${size} ${run}`);
        const { json, ms } = await apply(BASE, cookie, filter, action);
        total = json.changed;
        server.push(ms);
        say(`${size} ${name} server run ${run + 1}: ${ms.toFixed(1)} ms, ${json.changed} changed`);
        if (run < bareRuns && !bareError) {
          try {
            if (name === "Unassign") await apply(BASE, cookie, filter, actions.Assign(sc2));
            const bareAction = name === "Assign" ? actions.Assign(run % 2 ? sc4 : sc3) : name === "Unassign" ? actions.Unassign() : actions["Rename Group"](`Bare ${size} ${run}`);
            const statements = await capture(captureCookie, filter, bareAction);
            if (DUMP) fs.writeFileSync(`${DUMP}/bulk-${size}-${name.replace(" ", "-").toLowerCase()}.sql`, statements.map((x) => x + ";\n").join(""));
            const t = psqlTimed(DB, statements);
            bare.push(t);
            say(`${size} ${name} bare run ${run + 1}: ${t.toFixed(1)} ms (${statements.length} statements)`);
          } catch (e) {
            bareError = String(e.message ?? e).split("\n")[0];
            say(`${size} ${name}: bare SQL failed: ${bareError}`);
          }
        }
      }
      const s = median(server);
      const b = bare.length ? median(bare) : null;
      const ratio = b ? s / b : null;
      out(
        `| ${total.toLocaleString("en-US")} | ${name} | ${fmt(s)} | ${TARGETS[size]} | ${met(s <= TARGETS[size])} | ${fmt(b)} | ${fmt(ratio, 2)} | ${met(ratio === null ? null : ratio <= RATIO_TARGET)} |`,
      );
      summary(
        "3",
        `${name}, ${total.toLocaleString("en-US")} serials`,
        `${fmt(s)} ms (<= ${TARGETS[size]}); ${fmt(ratio, 2)}x bare SQL (<= ${RATIO_TARGET})`,
        s <= TARGETS[size] && (ratio === null || ratio <= RATIO_TARGET),
      );
      if (bareError) out(`|  | (bare SQL: ${bareError.replace(/\|/g, "/").slice(0, 160)}) |  |  |  |  |  |  |`);
    }
  }

  if (BULK_ADD > 0) {
    const previews = [];
    const adds = [];
    let previewBytes = 0;
    const stamp = Date.now().toString(36);
    for (let run = 0; run < RUNS; run++) {
      // With and without a display name, as a pasted address list has them.
      const text = Array.from({ length: BULK_ADD }, (_, i) =>
        i % 2 === 0 ? `Bench${i} Person${run} <bench${stamp}.${run}.${i}@acme.example>` : `bench${stamp}.${run}.${i}@acme.example`,
      ).join(";\n");
      const preview = await callOk(BASE, cookie, "people/bulk-preview", { text });
      previews.push(preview.ms);
      previewBytes = preview.bytes;
      const add = await callOk(BASE, cookie, "people/bulk-add", { text });
      adds.push(add.ms);
      say(`bulk add run ${run + 1}: preview ${preview.ms.toFixed(1)} ms, add ${add.ms.toFixed(1)} ms`);
    }
    const [p, a] = [median(previews), median(adds)];
    out();
    out(`### Bulk Add: ${BULK_ADD.toLocaleString("en-US")} new people in one submission, through HTTP (median of ${RUNS} runs; ms)`);
    out();
    out(`Each run adds ${BULK_ADD.toLocaleString("en-US")} new people with their invitations and emails (issue 5's target: both steps under 2 s).`);
    out();
    out(`| step | server ms |`);
    out(`| --- | ---: |`);
    out(`| Preview (parse, classify against the company's people; ${Math.round(previewBytes / 1024)} KB of JSON back) | ${fmt(p)} |`);
    out(`| Add and invite (one transaction: people, invitations, outbox, audit) | ${fmt(a)} |`);
    out(`| both, end to end | ${fmt(p + a)} (target 2000: ${met(p + a < 2000)}) |`);
    summary("issue 5", `Bulk Add of ${BULK_ADD.toLocaleString("en-US")}, preview and add`, `${fmt(p + a)} ms (< 2000)`, p + a < 2000);
  }
  process.stdout.write(lines.join("\n") + "\n");
}

main().catch((e) => {
  console.error("bulk:", e);
  process.exit(1);
});
