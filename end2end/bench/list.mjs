// Targets 2 and 5 of issue 11: the Products list of the 100,000-serial contract under wrk through
// real HTTP (signed-in session, the release server that scripts/bench started), next to pgbench
// running the SQL one such page request runs, with the same concurrency; and the server's memory
// (VmHWM, and VmRSS sampled) during and after that load. Prints Markdown; progress on stderr.
//
// The page's SQL is captured, never written here: one GET of the same view on the capture server
// (whose connections log every statement), read back from PostgreSQL's log with literal values
// (capture.mjs), and written to a pgbench script.
//
// Settings (environment): BENCH_BASE, BENCH_CAPTURE_BASE, BENCH_DATABASE_URL, BENCH_PG_LOG,
// BENCH_SERVER_PID (the timed server, for its memory), BENCH_SECONDS (20), BENCH_CONNECTIONS (16),
// BENCH_SQL_DIR (keeps the pgbench scripts and their per-transaction logs).

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { request, signIn, summary } from "./http.mjs";
import { capturedStatements, capturePids, logOffset, psqlRows, psqlTimed, settle } from "./capture.mjs";

const env = (k, d) => process.env[k] ?? d;
const BASE = env("BENCH_BASE");
const CAPTURE = env("BENCH_CAPTURE_BASE", "");
const DB = env("BENCH_DATABASE_URL");
const LOG = env("BENCH_PG_LOG", "");
const PID = env("BENCH_SERVER_PID", "");
const SECONDS = Number(env("BENCH_SECONDS", 20));
const CONNECTIONS = Number(env("BENCH_CONNECTIONS", 16));
const SQL_DIR = env("BENCH_SQL_DIR", "") || fs.mkdtempSync(path.join(os.tmpdir(), "sk-bench-"));
const CONTRACT = "110000001";
const RPS_TARGET = 1000;
const P99_TARGET = 50;
const MEMORY_TARGET_MB = 150;

const say = (...a) => console.error("list:", ...a);
const met = (ok) => (ok === null ? "n/a" : ok ? "yes" : "**no**");

/** VmHWM and VmRSS of the server in MB, from /proc. */
function memory() {
  if (!PID) return null;
  const status = fs.readFileSync(`/proc/${PID}/status`, "utf8");
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { hwm: kb("VmHWM") / 1024, rss: kb("VmRSS") / 1024 };
}

/** wrk's duration text ("812.00us", "3.21ms", "1.02s") in ms. */
function wrkMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60000 }[m[2]];
}

/**
 * One wrk run; resolves to { rps, p50, p99, errors, peakRss } while sampling the server's RSS. A
 * view with a `body` is a server function: wrk POSTs it as JSON (a Lua script of three lines).
 */
function wrk(view, cookie, acceptEncoding) {
  const args = ["-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--timeout", "10s", "--latency", "-H", `Cookie: ${cookie}`];
  if (acceptEncoding) args.push("-H", `Accept-Encoding: ${acceptEncoding}`);
  if (view.body) {
    const lua = path.join(SQL_DIR, `wrk-${view.name}.lua`);
    fs.writeFileSync(lua, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(view.body)}\nwrk.headers["Content-Type"] = "application/json"\n`);
    args.push("-s", lua);
  }
  args.push(new URL(view.path, BASE).toString());
  return new Promise((resolve, reject) => {
    let peakRss = 0;
    const sampler = setInterval(() => {
      const m = memory();
      if (m) peakRss = Math.max(peakRss, m.rss);
    }, 100);
    const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out}`));
      const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
      const non2xx = num(/Non-2xx or 3xx responses: (\d+)/) || 0;
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = non2xx + (socket ? socket.slice(1).reduce((s, x) => s + Number(x), 0) : 0);
      resolve({
        rps: num(/Requests\/sec:\s+([\d.]+)/),
        p50: wrkMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ""),
        p99: wrkMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ""),
        requests: num(/(\d+) requests in/),
        errors,
        peakRss,
      });
    });
  });
}

/** pgbench running `statements` as one transaction script; tps and latency percentiles (ms). */
function pgbench(name, statements) {
  const script = path.join(SQL_DIR, `${name}.sql`);
  fs.writeFileSync(script, statements.map((s) => s + ";\n").join(""));
  const prefix = path.join(SQL_DIR, `${name}-pgbench-log`);
  for (const f of fs.readdirSync(SQL_DIR)) if (f.startsWith(`${name}-pgbench-log`)) fs.rmSync(path.join(SQL_DIR, f));
  const out = execFileSync(
    "pgbench",
    ["-n", "-M", "prepared", "-c", String(CONNECTIONS), "-j", "2", "-T", String(SECONDS), "-f", script, "-l", `--log-prefix=${prefix}`, DB],
    { encoding: "utf8", cwd: SQL_DIR, stdio: ["ignore", "pipe", "pipe"] },
  );
  const latencies = [];
  for (const f of fs.readdirSync(SQL_DIR).filter((f) => f.startsWith(`${name}-pgbench-log`))) {
    for (const line of fs.readFileSync(path.join(SQL_DIR, f), "utf8").split("\n")) {
      const cols = line.split(" ");
      if (cols.length >= 3) latencies.push(Number(cols[2]) / 1000);
    }
  }
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.round((latencies.length - 1) * p))];
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  return { tps: Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? NaN), p50: at(0.5), p99: at(0.99), failed, statements: statements.length };
}

/** One request of a view: a GET of the page, or the POST of its server function. */
function fetchView(base, view, cookie) {
  return view.body
    ? request(base, "POST", view.path, { cookie, body: view.body, contentType: "application/json" })
    : request(base, "GET", view.path, { cookie });
}

/** The SQL one request of `view` runs, captured on the capture server. */
async function capturePage(cookie, view) {
  // Once first, so that what is captured is a warm request (prepared statements, pool, caches).
  await fetchView(CAPTURE, view, cookie);
  await settle(LOG);
  const offset = logOffset(LOG);
  const reply = await fetchView(CAPTURE, view, cookie);
  if (reply.status !== 200) throw new Error(`capture ${view.path}: ${reply.status}`);
  await settle(LOG);
  return capturedStatements(LOG, offset, capturePids(DB));
}

async function main() {
  const cookie = await signIn(BASE, "cm@acme.example", "seatkeeper-demo");
  const product = psqlRows(DB, "select id from products where name = 'Revit' and release = '2026'")[0];
  if (!product) throw new Error("no product Revit 2026 in the bench database");
  const contractPath = `/management/users/coordinators/${CONTRACT}`;
  const views = [
    { name: "heaviest", label: "Revit 2026, by coordinator descending, page 10", path: `${contractPath}?product=${product}&sort=coordinator&dir=desc&page=10` },
    { name: "first-page", label: "plain first page", path: contractPath },
    {
      // What a hydrated page fetches to turn the page or change the view: the server function.
      name: "heaviest-api",
      label: "the same heaviest view as a page turn in the browser (`POST /api/serials/page`, JSON)",
      path: "/api/serials/page",
      body: JSON.stringify({
        query: {
          contract_number: CONTRACT,
          filter: { text: "", product, group: null, coordinator: null },
          sort: "Coordinator",
          descending: true,
          page: 10,
          page_size: 50,
        },
      }),
    },
  ];
  for (const view of views) {
    const reply = await fetchView(BASE, view, cookie);
    const full = view.body ? reply.body.includes('"rows"') : reply.body.includes("<table");
    if (reply.status !== 200 || !full) throw new Error(`${view.path}: ${reply.status}, no rows`);
    for (let i = 0; i < 20; i++) await fetchView(BASE, view, cookie);
  }
  const before = memory();
  const rows = [];
  let peakDuring = 0;
  for (const view of views) {
    const sizes = {};
    for (const encoding of ["", "gzip, br"]) {
      const url = new URL(view.path, BASE).toString();
      // Bytes of one answer as sent (compressed or not), and how.
      const post = view.body ? ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", view.body] : [];
      const head = execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "\nbytes=%{size_download}\n", "-H", `Cookie: ${cookie}`, ...post, ...(encoding ? ["-H", `Accept-Encoding: ${encoding}`] : []), "-D", "-", url], { encoding: "utf8" });
      const contentEncoding = /^content-encoding:\s*(\S+)/im.exec(head)?.[1] ?? "none";
      const bytes = Number(/^bytes=(\d+)$/m.exec(head)?.[1] ?? NaN);
      sizes[encoding] = { contentEncoding, bytes };
      say(`wrk ${view.name} ${encoding || "identity"} (${SECONDS} s, ${CONNECTIONS} connections)`);
      const r = await wrk(view, cookie, encoding);
      peakDuring = Math.max(peakDuring, r.peakRss);
      say(`  ${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.errors} errors`);
      rows.push({ view, encoding, ...r, ...sizes[encoding] });
    }
  }
  const after = memory();

  let pg = {};
  let pgError = null;
  if (CAPTURE && LOG) {
    try {
      const captureCookie = await signIn(CAPTURE, "cm@acme.example", "seatkeeper-demo");
      for (const view of views) {
        const statements = await capturePage(captureCookie, view);
        say(`pgbench ${view.name}: ${statements.length} statements`);
        pg[view.name] = pgbench(`list-${view.name}`, statements);
        // Where a request's database time goes: each statement alone, median of 3, no other load.
        pg[view.name].each = statements.map((sql) => {
          const times = [0, 1, 2].map(() => psqlTimed(DB, [sql]));
          times.sort((a, b) => a - b);
          return { ms: times[1], text: sql.replace(/\s+/g, " ").replace(/^with \w+ as (materialized )?\(\s*/i, "with ... ").slice(0, 90) };
        });
        say(`  ${pg[view.name].tps} tps, p50 ${pg[view.name].p50} ms, p99 ${pg[view.name].p99} ms`);
      }
    } catch (e) {
      pgError = String(e.message ?? e).split("\n")[0];
      say(`pgbench failed: ${pgError}`);
    }
  } else {
    pgError = "no capture server or PostgreSQL log (BENCH_CAPTURE_BASE, BENCH_PG_LOG)";
  }

  const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
  const out = [];
  out.push(`### Products list through HTTP: wrk, ${CONNECTIONS} connections, ${SECONDS} s, a signed-in session (100,000-serial contract)`);
  out.push("");
  out.push(`\`wrk -t2 -c${CONNECTIONS} -d${SECONDS}s --timeout 10s --latency -H "Cookie: sk_session=..." [-H "Accept-Encoding: gzip, br"] URL\` against the release`);
  out.push(`server's Products page (server-side rendered HTML, as a browser's first request gets it) and the server function a hydrated page calls
to turn the page (JSON); wrk and the server share the 2 cores.`);
  out.push(`*pgbench* runs, as one transaction script, every statement the server ran for one such request (captured from PostgreSQL's log`);
  out.push(`with its literal values), \`pgbench -n -M prepared -c ${CONNECTIONS} -j 2 -T ${SECONDS}\` (prepared, as the server's statements are): the most the server could approach. Target: >= ${RPS_TARGET} requests/s with p99 < ${P99_TARGET} ms.`);
  out.push("");
  out.push(`| view | Accept-Encoding | answer | requests/s | p50 ms | p99 ms | met | pgbench tps (p50 / p99 ms) | server / pgbench |`);
  out.push(`| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |`);
  for (const r of rows) {
    const p = pg[r.view.name];
    const answer = `${(r.bytes / 1024).toFixed(1)} KB ${r.contentEncoding === "none" ? "" : r.contentEncoding}`.trim();
    const ok = r.rps >= RPS_TARGET && r.p99 < P99_TARGET && r.errors === 0;
    const pgText = p ? `${f1(p.tps)} (${f1(p.p50)} / ${f1(p.p99)}), ${p.statements} statements${p.failed ? `, ${p.failed} failed` : ""}` : "n/a";
    summary(
      "2",
      `list, ${r.view.label}, Accept-Encoding ${r.encoding || "(none)"}`,
      `${f1(r.rps)} req/s, p99 ${f1(r.p99)} ms (>= ${RPS_TARGET}, < ${P99_TARGET} ms); ${p ? (r.rps / p.tps).toFixed(2) : "n/a"} of pgbench`,
      ok,
    );
    out.push(
      `| ${r.view.label} | ${r.encoding || "(none)"} | ${answer} | ${f1(r.rps)}${r.errors ? ` (${r.errors} errors)` : ""} | ${f1(r.p50)} | ${f1(r.p99)} | ${met(ok)} | ${pgText} | ${p ? (r.rps / p.tps).toFixed(2) : "n/a"} |`,
    );
  }
  if (pgError) out.push(`\npgbench: n/a (${pgError}).`);
  for (const view of views) {
    const p = pg[view.name];
    if (!p?.each) continue;
    out.push("");
    out.push(`${view.label[0].toUpperCase()}${view.label.slice(1)}: each statement the server ran for it, alone in psql (median of 3; ms; the whole script in \`target/bench/sql/list-${view.name}.sql\`):`);
    out.push("");
    out.push(`| ms | statement |`);
    out.push(`| ---: | --- |`);
    for (const e of p.each) out.push(`| ${e.ms.toFixed(1)} | \`${e.text.replace(/`/g, " ").replace(/\|/g, "\\|")}...\` |`);
  }
  out.push("");
  out.push(`### Memory: the server's resident set during and after that load (target < ${MEMORY_TARGET_MB} MB)`);
  out.push("");
  out.push(`| measure | MB | met |`);
  out.push(`| --- | ---: | --- |`);
  if (before && after) {
    out.push(`| peak (VmHWM) after start and 40 warm-up requests | ${f1(before.hwm)} | ${met(before.hwm < MEMORY_TARGET_MB)} |`);
    out.push(`| highest VmRSS sampled every 100 ms during the ${rows.length} wrk runs | ${f1(peakDuring)} | ${met(peakDuring < MEMORY_TARGET_MB)} |`);
    out.push(`| peak (VmHWM) after the wrk runs | ${f1(after.hwm)} | ${met(after.hwm < MEMORY_TARGET_MB)} |`);
    summary("5", "server peak RSS (VmHWM) after the list load", `${f1(after.hwm)} MB (< ${MEMORY_TARGET_MB} MB)`, after.hwm < MEMORY_TARGET_MB);
    out.push(`| resident (VmRSS) after the wrk runs | ${f1(after.rss)} |  |`);
  } else {
    out.push(`| n/a (BENCH_SERVER_PID not set) |  |  |`);
  }
  process.stdout.write(out.join("\n") + "\n");
}

main().catch((e) => {
  console.error("list:", e);
  process.exit(1);
});
