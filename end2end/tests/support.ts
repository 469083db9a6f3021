import { expect, type Page } from "@playwright/test";

/** The demo accounts `server seed` creates; a deployment can name its own. */
export const accounts = {
  contractManager: process.env.E2E_CM_EMAIL ?? "cm@acme.example",
  password: process.env.E2E_PASSWORD ?? "seatkeeper-demo",
};

/** Waits until the WebAssembly has hydrated the page: before that a button does nothing. */
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

export async function signIn(page: Page, email = accounts.contractManager, password = accounts.password) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Add, then Save & Continue, on Manage Users (R15); waits for the confirmation. */
export async function addPerson(page: Page, email: string, first: string, last: string) {
  await page.getByRole("button", { name: "Add", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Add a person" });
  await dialog.getByLabel("Email").fill(email);
  await dialog.getByLabel("First name").fill(first);
  await dialog.getByLabel("Last name").fill(last);
  await dialog.getByRole("button", { name: "Save & Continue" }).click();
  await expect(page.getByRole("status")).toHaveText(`${first} ${last} was added and invited.`);
}

/** Manage Users, searched for `query` when given, once the page can be used. */
export async function openUsers(page: Page, query = "") {
  await page.goto(query ? `/management/users?q=${encodeURIComponent(query)}` : "/management/users");
  await hydrated(page);
}
