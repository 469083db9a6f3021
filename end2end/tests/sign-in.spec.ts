import { expect, test } from "@playwright/test";
import { accounts, hydrated, signIn } from "./support";

test("a Contract Manager signs in, finds the navigation, and signs out", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);

  await signIn(page);
  await expect(page).toHaveURL(/\/$/);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByText("Management")).toBeVisible();
  await expect(page.getByTestId("signed-in-as")).not.toBeEmpty();
  await expect(page.getByText("Contract Manager", { exact: true })).toBeVisible();

  await hydrated(page);
  await nav.getByRole("link", { name: "Manage Users" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Manage Users" })).toBeVisible();
  await nav.getByRole("link", { name: "Manage Software Coordinators" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Manage Software Coordinators" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?notice=signed-out$/);
  await expect(page.getByRole("status")).toHaveText("You have signed out.");

  // The session is gone: a page sends us back to sign in.
  await page.goto("/management/users");
  await expect(page).toHaveURL(/\/login$/);
});

test("a wrong password is refused with a clear message and the email kept", async ({ page }) => {
  await signIn(page, accounts.contractManager, "not-the-password");
  await expect(page).toHaveURL(/\/login\?error=invalid/);
  await expect(page.getByRole("alert")).toContainText("The email or password is not right");
  await expect(page.getByLabel("Email")).toHaveValue(accounts.contractManager);
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
});

test("an unknown address shows the not-found page", async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/$/);
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});
