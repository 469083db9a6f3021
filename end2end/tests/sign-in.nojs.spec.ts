import { expect, test } from "@playwright/test";
import { accounts, signIn } from "./support";

// This project runs with JavaScript disabled: the sign-in page and sign-out are plain forms.

test("signing in and out works without JavaScript", async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Manage Users" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?notice=signed-out$/);
});

test("a wrong password shows its message without JavaScript", async ({ page }) => {
  await signIn(page, accounts.contractManager, "still-not-the-password");
  await expect(page.getByRole("alert")).toContainText("The email or password is not right");
});
