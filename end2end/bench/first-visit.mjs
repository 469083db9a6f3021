// Target 1 of issue 11: what Chromium downloads for the contract's Products page (100,000 serials)
// on a first visit and on a repeat visit, by the browser's own network accounting (Chrome DevTools
// Protocol: Network.loadingFinished.encodedDataLength, headers included, for every request), and
// the time from navigation start to hydrated (body[data-hydrated], set once the WebAssembly runs).
// Prints Markdown for BENCHMARKS.md; progress on stderr.
//
// Each run is a fresh browser context (empty cache), signed in through the sign-in form's HTTP
// endpoint (so that no page of the console was loaded before), then: first visit, and a second
// visit of the same address in a new tab of the same context (the repeat visit: the browser's cache
// is warm, nothing else is kept).
//
// Settings (environment): BENCH_BASE (the server), BENCH_RUNS (5), CHROMIUM_PATH (/usr/bin/chromium).

import { chromium } from "playwright-core";
import { summary } from "./http.mjs";

const BASE = process.env.BENCH_BASE;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PAGE = "/management/users/coordinators/110000001";
const TARGETS = { first: 400 * 1024, repeat: 20 * 1024, hydratedMs: 1000 };

const say = (...a) => console.error("first-visit:", ...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const kb = (b) => (b / 1024).toFixed(1);
const met = (ok) => (ok ? "yes" : "**no**");

/** Records, before any script of the page runs, when body[data-hydrated] appears. */
function watchHydration() {
  const mark = () => {
    if (document.body && document.body.dataset.hydrated === "true" && window.__hydratedAt === undefined) {
      window.__hydratedAt = performance.now();
    }
  };
  new MutationObserver(mark).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
}

/** One navigation: every request's bytes until hydrated and the network is quiet. */
async function visit(page, cdp) {
  const requests = new Map();
  const onResponse = (e) => {
    const r = requests.get(e.requestId) ?? {};
    Object.assign(r, {
      url: e.response.url,
      status: e.response.status,
      encoding: e.response.headers["content-encoding"] ?? e.response.headers["Content-Encoding"] ?? "",
      cacheControl: e.response.headers["cache-control"] ?? "",
      fromCache: e.response.fromDiskCache || e.response.fromPrefetchCache || e.response.fromServiceWorker || false,
    });
    requests.set(e.requestId, r);
  };
  const onFinished = (e) => {
    const r = requests.get(e.requestId) ?? {};
    r.bytes = e.encodedDataLength;
    requests.set(e.requestId, r);
  };
  const onCached = (e) => {
    const r = requests.get(e.requestId) ?? {};
    r.memoryCache = true;
    requests.set(e.requestId, r);
  };
  cdp.on("Network.responseReceived", onResponse);
  cdp.on("Network.loadingFinished", onFinished);
  cdp.on("Network.requestServedFromCache", onCached);
  await page.goto(BASE + PAGE, { waitUntil: "load" });
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 30_000 });
  const hydratedMs = await page.evaluate(() => window.__hydratedAt);
  await page.waitForLoadState("networkidle");
  cdp.off("Network.responseReceived", onResponse);
  cdp.off("Network.loadingFinished", onFinished);
  cdp.off("Network.requestServedFromCache", onCached);
  const list = [...requests.values()].filter((r) => r.url);
  return { bytes: list.reduce((s, r) => s + (r.bytes ?? 0), 0), requests: list, hydratedMs };
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const first = [];
  const repeat = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext();
      const signIn = await context.request.post(BASE + "/auth/login", {
        form: { email: "cm@acme.example", password: "seatkeeper-demo" },
        headers: { Origin: BASE, Referer: BASE + "/login" },
        maxRedirects: 0,
      });
      if (signIn.status() !== 303 || !(signIn.headers()["set-cookie"] ?? "").includes("sk_session=")) {
        throw new Error(`sign-in failed: ${signIn.status()}`);
      }
      await context.addInitScript(watchHydration);
      const open = async () => {
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send("Network.enable");
        const seen = await visit(page, cdp);
        if (!(await page.locator("table tbody tr").count())) throw new Error("the Products table has no rows");
        await page.close();
        return seen;
      };
      const a = await open();
      const b = await open();
      say(`run ${run + 1}: first ${kb(a.bytes)} KB in ${a.requests.length} requests, hydrated at ${a.hydratedMs.toFixed(0)} ms; repeat ${kb(b.bytes)} KB, ${b.hydratedMs.toFixed(0)} ms`);
      first.push(a);
      repeat.push(b);
      await context.close();
    }
  } finally {
    await browser.close();
  }

  const med = (xs, f) => median(xs.map(f));
  const [fb, rb] = [med(first, (v) => v.bytes), med(repeat, (v) => v.bytes)];
  const [fh, rh] = [med(first, (v) => v.hydratedMs), med(repeat, (v) => v.hydratedMs)];
  summary("1", "first visit, bytes transferred", `${kb(fb)} KB (<= 400 KB)`, fb <= TARGETS.first);
  summary("1", "repeat visit, bytes transferred", `${kb(rb)} KB (<= 20 KB)`, rb <= TARGETS.repeat);
  summary("1", "first visit, navigation to hydrated", `${fh.toFixed(0)} ms (< 1000 ms)`, fh < TARGETS.hydratedMs);
  const out = [];
  out.push(`### First and repeat visit of the contract's Products page in Chromium (median of ${RUNS} runs)`);
  out.push("");
  out.push(`\`${PAGE}\` (100,000 serials), signed in as the Contract Manager, Chromium ${browser.version()} on the same machine as the server.`);
  out.push(`Bytes are what the browser received for every request of the page, headers included (DevTools protocol,`);
  out.push(`\`Network.loadingFinished.encodedDataLength\`); the repeat visit opens the page again in a new tab of the same browser context (warm HTTP cache).`);
  out.push(`*Hydrated*: from navigation start to \`body[data-hydrated]\` (the WebAssembly has taken over the page).`);
  out.push("");
  out.push(`| visit | transferred | target | met | requests | hydrated ms | target | met |`);
  out.push(`| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |`);
  out.push(`| first | ${kb(fb)} KB | 400 KB | ${met(fb <= TARGETS.first)} | ${first[0].requests.length} | ${fh.toFixed(0)} | < 1000 | ${met(fh < TARGETS.hydratedMs)} |`);
  out.push(`| repeat | ${kb(rb)} KB | 20 KB | ${met(rb <= TARGETS.repeat)} | ${repeat[0].requests.length} | ${rh.toFixed(0)} | < 1000 | ${met(rh < TARGETS.hydratedMs)} |`);
  out.push("");
  out.push(`What the first and the repeat visit of the last run fetched:`);
  out.push("");
  out.push(`| request | status | Content-Encoding | Cache-Control | first visit | repeat visit |`);
  out.push(`| --- | ---: | --- | --- | ---: | ---: |`);
  const last = first[first.length - 1];
  const again = repeat[repeat.length - 1];
  const key = (r) => new URL(r.url).pathname + (new URL(r.url).search ? "?..." : "");
  const seen = new Set();
  for (const r of [...last.requests, ...again.requests]) {
    const k = key(r);
    if (seen.has(k)) continue;
    seen.add(k);
    const a = last.requests.find((x) => key(x) === k);
    const b = again.requests.find((x) => key(x) === k);
    const cell = (x) => (x ? `${kb(x.bytes ?? 0)} KB${x.memoryCache || x.fromCache ? " (cache)" : ""}` : "-");
    const any = a ?? b;
    out.push(`| \`${k}\` | ${any.status} | ${any.encoding || "none"} | ${any.cacheControl || "-"} | ${cell(a)} | ${cell(b)} |`);
  }
  process.stdout.write(out.join("\n") + "\n");
}

main().catch((e) => {
  console.error("first-visit:", e);
  process.exit(1);
});
