// A small HTTP client for the benchmarks: requests to the real server process as the console's own
// pages send them (same origin, the session cookie), each timed from sending to the last byte.

import fs from "node:fs";
import http from "node:http";

const agents = new Map();

function agentFor(origin) {
  if (!agents.has(origin)) agents.set(origin, new http.Agent({ keepAlive: true, maxSockets: 4 }));
  return agents.get(origin);
}

/** One request; resolves to { status, headers, body (text), ms }. */
export function request(base, method, path, { cookie, body, contentType } = {}) {
  const url = new URL(path, base);
  const headers = { Origin: url.origin, Referer: url.origin + "/", "Sec-Fetch-Site": "same-origin", Accept: "*/*" };
  if (cookie) headers.Cookie = cookie;
  const payload = body === undefined ? null : Buffer.from(body);
  if (payload) {
    headers["Content-Type"] = contentType;
    headers["Content-Length"] = payload.length;
  }
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(url, { method, headers, agent: agentFor(url.origin) }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), ms });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(600_000, () => req.destroy(new Error(`no answer to ${method} ${path} within 10 minutes`)));
    if (payload) req.write(payload);
    req.end();
  });
}

/** Signs in through the sign-in form; returns the `sk_session=...` cookie. */
export async function signIn(base, email, password) {
  const form = `email=${encodeURIComponent(email)}&password=${encodeURIComponent(password)}`;
  const reply = await request(base, "POST", "/auth/login", { body: form, contentType: "application/x-www-form-urlencoded" });
  const cookie = [reply.headers["set-cookie"] ?? []]
    .flat()
    .map((c) => c.split(";")[0])
    .find((c) => c.startsWith("sk_session=") && c.length > "sk_session=".length);
  if (!cookie) throw new Error(`sign-in of ${email} failed: ${reply.status} ${reply.headers.location ?? ""}`);
  return cookie;
}

/** A server function, called as the browser calls it (JSON POST to /api/...). */
export async function call(base, cookie, endpoint, args) {
  return request(base, "POST", `/api/${endpoint}`, { cookie, body: JSON.stringify(args), contentType: "application/json" });
}

/** The same, refusing anything but a 2xx; resolves to { json, ms, bytes }. */
export async function callOk(base, cookie, endpoint, args) {
  const reply = await call(base, cookie, endpoint, args);
  if (reply.status < 200 || reply.status >= 300) {
    throw new Error(`${endpoint}: ${reply.status} ${reply.body.slice(0, 300)}`);
  }
  return { json: JSON.parse(reply.body), ms: reply.ms, bytes: Buffer.byteLength(reply.body) };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * One line of BENCHMARKS.md's "Targets at a glance" (scripts/bench collects them from BENCH_SUMMARY):
 * which target, what was measured, the figure against its target, and whether it is met (null: n/a).
 */
export function summary(target, measure, figure, ok) {
  const file = process.env.BENCH_SUMMARY;
  if (!file) return;
  const verdict = ok === null ? "n/a" : ok ? "yes" : "**no**";
  const clean = (s) => String(s).replace(/[\t\n|]/g, " ");
  fs.appendFileSync(file, [target, measure, figure, verdict].map(clean).join("\t") + "\n");
}
