import { expect, test, type CDPSession, type Page } from "@playwright/test";
import { hydrated, signIn } from "./support";

// Issue 11: what the browser downloads. The bundle's names carry their content's hash, it is sent
// precompressed (brotli, else gzip) and cached for good; pages are compressed and revalidated, so a
// repeat visit transfers little more than the page itself. Runs against the release server that
// scripts/test builds, or any deployment (BASE_URL).

const HASHED = /\/pkg\/seatkeeper\.[A-Za-z0-9_-]{22}\.(js|wasm|css)/g;
const HASHED_PATH = /^\/pkg\/seatkeeper\.[A-Za-z0-9_-]{22}\.(js|wasm|css)$/;
const IMMUTABLE = "public, max-age=31536000, immutable";
const CONTRACT = "/management/users/coordinators/110000001";

/** The hashed names a page's HTML points at, keyed by extension. */
function hashedNames(html: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of html.matchAll(HASHED)) found[match[1]] = match[0];
  return found;
}

test("the sign-in page names its script and WebAssembly by content hash", async ({ page, request }) => {
  const answer = await request.get("/login");
  expect(answer.status()).toBe(200);
  const names = hashedNames(await answer.text());
  expect(names.js, "a hashed script").toBeTruthy();
  expect(names.wasm, "a hashed WebAssembly file").toBeTruthy();
  // And the page really runs with them.
  await page.goto("/login");
  await hydrated(page);
  await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
});

test("the WebAssembly goes out precompressed, brotli first, and is cached for good", async ({ request }) => {
  const names = hashedNames(await (await request.get("/login")).text());
  const wasm = names.wasm;
  expect(wasm).toBeTruthy();

  const br = await request.get(wasm, { headers: { "accept-encoding": "br" } });
  expect(br.status()).toBe(200);
  expect(br.headers()["content-encoding"]).toBe("br");
  expect(br.headers()["cache-control"]).toBe(IMMUTABLE);
  expect(br.headers()["vary"] ?? "").toMatch(/accept-encoding/i);
  // Playwright decodes the body: it must be the WebAssembly itself.
  const bytes = await br.body();
  expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);

  const gzip = await request.get(wasm, { headers: { "accept-encoding": "gzip" } });
  expect(gzip.headers()["content-encoding"]).toBe("gzip");
  expect(gzip.headers()["cache-control"]).toBe(IMMUTABLE);
  expect((await gzip.body()).length).toBe(bytes.length);

  const script = await request.get(names.js, { headers: { "accept-encoding": "br" } });
  expect(script.headers()["content-encoding"]).toBe("br");
  expect(script.headers()["cache-control"]).toBe(IMMUTABLE);
});

test("pages are compressed and asked for again on every visit", async ({ page, request }) => {
  const answer = await request.get("/login", { headers: { "accept-encoding": "br, gzip" } });
  // Seatkeeper answers gzip (cheap to compress per answer); a proxy in front may choose brotli.
  expect(answer.headers()["content-encoding"]).toMatch(/^(gzip|br)$/);
  expect(answer.headers()["cache-control"]).toMatch(/no-cache/);
  expect(answer.headers()["cache-control"]).not.toMatch(/immutable|max-age=[1-9]/);
  expect(answer.headers()["content-security-policy"]).toContain("'nonce-");

  const visit = await page.goto("/login");
  expect(visit?.headers()["cache-control"]).toMatch(/no-cache/);
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
});

/** Bytes the page's network took (headers and bodies as sent), from Chromium's own accounting. */
async function countBytes(page: Page): Promise<{ session: CDPSession; total: () => number; fromNetwork: string[] }> {
  const session = await page.context().newCDPSession(page);
  await session.send("Network.enable");
  const sizes = new Map<string, number>();
  const urls = new Map<string, string>();
  const cached = new Set<string>();
  session.on("Network.requestWillBeSent", (event) => urls.set(event.requestId, event.request.url));
  session.on("Network.requestServedFromCache", (event) => cached.add(event.requestId));
  session.on("Network.responseReceived", (event) => {
    if (event.response.fromDiskCache || event.response.fromPrefetchCache) cached.add(event.requestId);
  });
  session.on("Network.loadingFinished", (event) => sizes.set(event.requestId, event.encodedDataLength));
  return {
    session,
    total: () => [...sizes.values()].reduce((a, b) => a + b, 0),
    get fromNetwork() {
      return [...sizes.entries()].filter(([id, size]) => !cached.has(id) && size > 0).map(([id]) => urls.get(id) ?? id);
    },
  };
}

test("a repeat visit of a contract's Products page transfers at most 20 KB", async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/$/);
  await page.goto(CONTRACT);
  await hydrated(page);
  await expect(page.getByRole("table", { name: "Serial numbers" })).toBeVisible();

  const network = await countBytes(page);
  await page.goto(CONTRACT);
  await hydrated(page);
  await expect(page.getByRole("table", { name: "Serial numbers" })).toBeVisible();
  const fromNetwork = network.fromNetwork;
  // The hashed files come from the browser's cache without a request to the server.
  expect(fromNetwork.filter((url) => /\/pkg\//.test(url) && HASHED_PATH.test(new URL(url).pathname))).toEqual([]);
  expect(network.total(), `bytes on the wire, from ${fromNetwork.join(", ")}`).toBeLessThanOrEqual(20_000);
  await network.session.detach();
});
