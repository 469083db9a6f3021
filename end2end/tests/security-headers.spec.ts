import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./support";

// Issue 9, finding 4: the Content-Security-Policy lets the console hydrate and act (its nonce is on
// the inline hydration script, WebAssembly is allowed) and nothing else; no other site can frame it.

test("pages hydrate and act under the Content-Security-Policy without a single violation", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto("/login");
  const policy = response?.headers()["content-security-policy"] ?? "";
  expect(policy).toContain("'nonce-");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toContain("unsafe-inline");

  await signIn(page);
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Manage Software Coordinators" }).click();
  await page.getByRole("link", { name: "110000001" }).click();
  await expect(page.getByRole("tab", { name: "Products" })).toHaveAttribute("aria-selected", "true");
  await page.getByRole("tab", { name: "Software Coordinators" }).click();
  await expect(page.getByRole("tab", { name: "Software Coordinators" })).toHaveAttribute("aria-selected", "true");
  expect(violations).toEqual([]);
});

// frame-ancestors 'none' refuses every frame, even one the console's own pages would open, so the
// test frames the sign-in page from a console page (a page of another site framing 127.0.0.1 is
// already stopped by Chromium's private-network rules before our header is read).
test("the console refuses to be shown inside a frame, whoever frames it", async ({ page }) => {
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  const frameBlocked = page.waitForEvent("console", (m) => /frame-ancestors|refused to (display|frame)/i.test(m.text()));
  await page.evaluate(() => {
    const frame = document.createElement("iframe");
    frame.title = "framed";
    frame.src = "/login";
    document.body.appendChild(frame);
  });
  await frameBlocked;
  const framed = page.frameLocator("iframe[title=framed]");
  await expect(framed.getByRole("button", { name: "Sign in" })).toHaveCount(0);
});
