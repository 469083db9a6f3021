// What one request of the server actually ran in PostgreSQL, read back from the cluster's log, with
// its parameters written in as literals: the "bare SQL" that `make bench` replays in psql and
// pgbench next to the server's own figure (scripts/bench). Nothing here is hard-coded SQL: when the
// server's queries change, the next run captures the new ones.
//
// The capture server is a second server process whose connections log every statement
// (PGOPTIONS="-c log_statement=all", PGAPPNAME=sk-bench-capture, started by scripts/bench); the
// timed server logs nothing. Only log lines of that server's backends (their pids, from
// pg_stat_activity) after the request's start are kept, so other users of the cluster do not mix in.

import { execFileSync } from "node:child_process";
import fs from "node:fs";

export const CAPTURE_APP = "sk-bench-capture";

/** psql -tA: the rows of one query, as lines. */
export function psqlRows(url, sql) {
  const out = execFileSync("psql", ["-X", "-qtA", "-v", "ON_ERROR_STOP=1", url, "-c", sql], { encoding: "utf8" });
  return out.split("\n").filter((l) => l.length > 0);
}

/** Where the log ends now: statements after this offset belong to what follows. */
export function logOffset(logPath) {
  return fs.statSync(logPath).size;
}

/** The pids of the capture server's connections right now. */
export function capturePids(url) {
  return new Set(psqlRows(url, `select pid from pg_stat_activity where application_name = '${CAPTURE_APP}'`));
}

const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] ([A-Z]+):  (.*)$/;

/** The log's messages from `offset` on: { pid, level, text } with continuation lines joined. */
function messages(logPath, offset) {
  const fd = fs.openSync(logPath, "r");
  const size = fs.fstatSync(fd).size;
  const buffer = Buffer.alloc(size - offset);
  fs.readSync(fd, buffer, 0, buffer.length, offset);
  fs.closeSync(fd);
  const out = [];
  for (const line of buffer.toString("utf8").split("\n")) {
    const m = LINE.exec(line);
    if (m) {
      out.push({ pid: m[1], level: m[2], text: m[3] });
    } else if (line.startsWith("\t") && out.length > 0) {
      // PostgreSQL writes a message's further lines after a tab.
      out[out.length - 1].text += "\n" + line.slice(1);
    }
  }
  return out;
}

/** `$1 = 'a''b', $2 = NULL` -> { 1: "'a''b'", 2: "NULL" } (values stay SQL literals). */
export function parseParameters(detail) {
  const values = {};
  let i = 0;
  while (i < detail.length) {
    const m = /^\s*,?\s*\$(\d+) = /.exec(detail.slice(i, i + 32));
    if (!m) break;
    i += m[0].length;
    const n = m[1];
    if (detail.startsWith("NULL", i)) {
      values[n] = "NULL";
      i += 4;
      continue;
    }
    if (detail[i] !== "'") throw new Error(`unexpected parameter text at ${i}: ${detail.slice(i, i + 40)}`);
    let j = i + 1;
    for (;;) {
      const q = detail.indexOf("'", j);
      if (q < 0) throw new Error("unterminated parameter literal");
      if (detail[q + 1] === "'") {
        j = q + 2;
        continue;
      }
      values[n] = detail.slice(i, q + 1);
      i = q + 1;
      break;
    }
  }
  return values;
}

/** The statement with `$n` replaced by its literal (longest numbers first: $10 before $1). */
function withLiterals(sql, values) {
  return sql.replace(/\$(\d+)(?!\d)/g, (whole, n) => (n in values ? values[n] : whole));
}

/**
 * The statements the capture server's backends ran since `offset`, in order, as SQL text with
 * literal values. sqlx's connection check (`/* SQLx ping *\/`, an empty statement) is left out.
 */
export function capturedStatements(logPath, offset, pids) {
  const out = [];
  const all = messages(logPath, offset).filter((m) => pids.has(m.pid));
  for (let k = 0; k < all.length; k++) {
    const { level, text } = all[k];
    if (level !== "LOG") continue;
    let sql = null;
    let m;
    if ((m = /^statement: ([\s\S]*)$/.exec(text))) {
      sql = m[1];
    } else if ((m = /^execute [^:]*: ([\s\S]*)$/.exec(text))) {
      sql = m[1];
      const next = all[k + 1];
      if (next && next.level === "DETAIL" && next.pid === all[k].pid && next.text.startsWith("parameters: ")) {
        sql = withLiterals(sql, parseParameters(next.text.slice("parameters: ".length)));
        k++;
      }
    }
    if (sql === null) continue;
    const bare = sql.replace(/\/\*[\s\S]*?\*\//g, "").trim();
    if (bare === "" || bare === ";") continue;
    out.push(sql.trim().replace(/;\s*$/, ""));
  }
  return out;
}

/** Whether one of `pids` logged the capture trigger's refusal since `offset`. */
export function stoppedAtCommit(logPath, offset, pids) {
  return messages(logPath, offset).some((m) => pids.has(m.pid) && m.level === "ERROR" && m.text.includes("sk-bench: captured"));
}

/** Waits until the log has stopped growing for a moment (the backends wrote what they ran). */
export async function settle(logPath) {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const size = logOffset(logPath);
    if (size === last) return;
    last = size;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs `statements` in psql with \timing, each on its own; returns the sum of psql's times in ms
 * (the statements' round trips, without psql's start and connection). Throws when one fails.
 */
export function psqlTimed(url, statements) {
  const script = ["\\set ON_ERROR_STOP on", "\\timing on", ...statements.map((s) => s + ";")].join("\n") + "\n";
  const out = execFileSync("psql", ["-X", "-q", "-o", "/dev/null", url, "-f", "-"], {
    input: script,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"],
  });
  return out
    .split("\n")
    .map((l) => /^Time: ([\d.]+) ms/.exec(l))
    .filter(Boolean)
    .reduce((sum, m) => sum + Number(m[1]), 0);
}
