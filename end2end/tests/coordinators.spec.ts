import { expect, test, type Browser, type Page } from "@playwright/test";
import { hydrated, signIn } from "./support";

// The Software Coordinators tab, Remove From All and changing the Contract Manager (issue 4).

const contract = (n: string) => `/management/users/coordinators/${n}`;

async function asUser(browser: Browser, email?: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, email);
  await expect(page).not.toHaveURL(/\/login/);
  return page;
}

async function openTab(page: Page, number: string) {
  await page.goto(`${contract(number)}?tab=coordinators`);
  await hydrated(page);
  await expect(page.getByRole("tab", { name: "Software Coordinators" })).toHaveAttribute("aria-selected", "true");
}

async function assignNewPersonToFirstRows(page: Page, number: string, slice: string, rows: number, person: { email: string; first: string; last: string }, isNew: boolean) {
  await page.goto(`${contract(number)}?q=${slice}`);
  await hydrated(page);
  const boxes = page.getByRole("table", { name: "Serial numbers" }).getByRole("checkbox", { name: /^Select \d/ });
  for (let i = 0; i < rows; i++) await boxes.nth(i).check();
  await page.getByRole("button", { name: "Assign", exact: true }).click();
  const dialog = page.getByRole("dialog");
  if (isNew) {
    await dialog.getByRole("radio", { name: "A new person" }).check();
    await dialog.getByLabel("Email").fill(person.email);
    await dialog.getByLabel("First name").fill(person.first);
    await dialog.getByLabel("Last name").fill(person.last);
  } else {
    await dialog.getByLabel("Find a person").fill(person.email);
    await dialog.getByRole("radio", { name: new RegExp(person.email.replace(/[.]/g, "\\.")) }).check();
  }
  await dialog.getByRole("button", { name: "Continue" }).click();
  await dialog.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("status")).toContainText(`now coordinated by ${person.first} ${person.last}`);
}

test("the CM edits the shipping location of two coordinators at once", async ({ browser }) => {
  const page = await asUser(browser);
  await openTab(page, "110000001");
  await page.getByRole("checkbox", { name: "Select sc3@acme.example" }).check();
  await page.getByRole("checkbox", { name: "Select sc4@acme.example" }).check();
  await page.getByRole("button", { name: "Edit shipping location" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit shipping location" });
  await dialog.getByLabel("Recipient").fill("Goods In");
  await dialog.getByLabel("Address line 1").fill("Invalidenstraße 117");
  await dialog.getByLabel("City").fill("Berlin");
  await dialog.getByLabel("Postal code").fill("1011");
  await dialog.getByLabel("Country").selectOption("DE");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog.getByText("Postal code is not a postal code of Germany")).toBeVisible();

  await dialog.getByLabel("Postal code").fill("10115");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Shipping location saved for 2 coordinators.");
  const table = page.getByRole("table", { name: "Software Coordinators" });
  for (const email of ["sc3@acme.example", "sc4@acme.example"]) {
    await expect(table.getByRole("row").filter({ hasText: email })).toContainText("Invalidenstraße 117, 10115 Berlin, DE");
  }
});

test("Remove From All: Cancel changes nothing, confirming gives every serial back to its CM", async ({ browser }) => {
  const page = await asUser(browser);
  const person = { email: `leaver.${Date.now()}@acme.example`, first: "Lee", last: "Ver" };
  await assignNewPersonToFirstRows(page, "110000001", "-1000018", 2, person, true);
  await assignNewPersonToFirstRows(page, "110000002", "-1100001", 1, person, false);

  await openTab(page, "110000001");
  const row = page.getByRole("table", { name: "Software Coordinators" }).getByRole("row").filter({ hasText: person.email });
  await expect(row).toContainText("2 serials");
  await page.getByRole("checkbox", { name: `Select ${person.email}` }).check();
  await page.getByRole("button", { name: "Remove From All" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Remove From All" });
  await expect(confirm).toContainText("for people who have left your company");
  await expect(confirm.getByRole("link", { name: "Unassign on the Products tab" })).toBeVisible();
  await expect(confirm).toContainText(`Lee Ver <${person.email}>: 3 serial numbers on 2 contracts go back to their Contract Managers.`);
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(confirm).toHaveCount(0);
  await expect(row).toContainText("2 serials");

  await page.getByRole("button", { name: "Remove From All" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Remove From All" }).click();
  await expect(page.getByRole("status")).toContainText("Removed 1 person from all: 3 serial numbers are back with their Contract Managers.");
  await expect(row).toHaveCount(0);

  await page.goto(`${contract("110000001")}?q=-1000018`);
  const serials = page.getByRole("table", { name: "Serial numbers" });
  await expect(serials.getByRole("row").filter({ hasText: "Lee Ver" })).toHaveCount(0);
  await expect(serials.getByRole("row").nth(1)).toContainText("(Contract Manager)");
});

test("a CM asks for a new CM, the reseller agent approves, and the contract changes hands", async ({ browser }) => {
  const oldManager = await asUser(browser, "cm2@acme.example");
  await openTab(oldManager, "110000003");
  const select = oldManager.getByLabel("New Contract Manager");
  const option = select.locator("option", { hasText: "user10@acme.example" });
  const label = (await option.textContent())!;
  const name = label.replace(/\s*<.*$/, "");
  await select.selectOption((await option.getAttribute("value"))!);
  await oldManager.getByLabel("Reason").fill("I am moving to another team.");
  await oldManager.getByRole("button", { name: "Send request" }).click();
  await expect(oldManager.getByRole("status")).toHaveText(`Your request to make ${name} the Contract Manager was sent to your reseller.`);

  const agent = await asUser(browser, "agent@northwind.example");
  await expect(agent).toHaveURL(/\/reseller$/);
  await hydrated(agent);
  await agent.getByRole("button", { name: `Approve: Make ${name} the Contract Manager of contract 110000003` }).click();
  await expect(agent.getByRole("status")).toHaveText(`${name} is now the Contract Manager of contract 110000003.`);
  await expect(agent.getByRole("row").filter({ hasText: "110000003" })).toContainText("user10@acme.example");

  const newManager = await asUser(browser, "user10@acme.example");
  await newManager.goto("/management/users/coordinators");
  await expect(newManager.getByRole("link", { name: "110000003" })).toBeVisible();
  await oldManager.goto("/management/users/coordinators");
  await expect(oldManager.getByRole("heading", { level: 1, name: "Manage Software Coordinators" })).toBeVisible();
  await expect(oldManager.getByRole("link", { name: "110000003" })).toHaveCount(0);
});
