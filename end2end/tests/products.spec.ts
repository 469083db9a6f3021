import { expect, test, type Browser, type Page } from "@playwright/test";
import { hydrated, signIn } from "./support";

// The Products tab of contract 110000001 (issue 3). Each test works on its own slice of serial
// numbers, found by free-text search ("-1000012" matches exactly the ten serials ...-10000120 to
// ...-10000129 of the demo data), so tests running side by side never touch each other's rows.

const CONTRACT = "/management/users/coordinators/110000001";

async function openSlice(page: Page, slice: string, extra = "") {
  await page.goto(`${CONTRACT}?q=${encodeURIComponent(slice)}${extra}`);
  await hydrated(page);
  await expect(table(page)).toBeVisible();
}

const table = (page: Page) => page.getByRole("table", { name: "Serial numbers" });
const rowBoxes = (page: Page) => table(page).getByRole("checkbox", { name: /^Select \d{3}-\d{8}$/ });
const selectedCount = (page: Page) => page.getByTestId("selection-count");

async function serialOf(page: Page, index: number): Promise<string> {
  const label = await rowBoxes(page).nth(index).getAttribute("aria-label");
  return label!.replace("Select ", "");
}

const row = (page: Page, serial: string) => table(page).getByRole("row").filter({ hasText: serial });

async function signedIn(page: Page) {
  await signIn(page);
  await expect(page).toHaveURL(/\/$/);
}

test("the contract list opens a contract on its Products tab", async ({ page }) => {
  await signedIn(page);
  await page.goto("/management/users/coordinators");
  await page.getByRole("link", { name: "110000001" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Contract 110000001" })).toBeVisible();
  await expect(page.getByRole("tab", { name: "Products" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("tab", { name: "Software Coordinators" })).toBeVisible();
  await expect(rowBoxes(page).first()).toBeVisible();
});

test("select three rows, rename their group, see the preview, then undo", async ({ page }) => {
  await signedIn(page);
  await openSlice(page, "-1000010");
  await expect(rowBoxes(page)).toHaveCount(10);
  const serials = [await serialOf(page, 0), await serialOf(page, 1), await serialOf(page, 2)];
  for (const serial of serials) await page.getByRole("checkbox", { name: `Select ${serial}` }).check();
  await expect(selectedCount(page)).toHaveText("3 selected");

  await page.getByRole("button", { name: "Rename Group" }).click();
  const dialog = page.getByRole("dialog", { name: "Rename Group" });
  await dialog.getByLabel("Group name").fill("E2E renamed");
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog.getByText("3 of the 3 selected serial numbers will change:")).toBeVisible();
  await expect(dialog.getByText("To: “E2E renamed”")).toBeVisible();
  await dialog.getByRole("button", { name: "Apply" }).click();

  await expect(page.getByRole("status")).toContainText("3 serial numbers moved to group “E2E renamed”.");
  for (const serial of serials) await expect(row(page, serial)).toContainText("E2E renamed");
  await expect(selectedCount(page)).toHaveText("0 selected");

  await page.getByRole("button", { name: "Undo" }).click();
  await expect(page.getByRole("status")).toContainText("Undone: 3 serial numbers are as before.");
  for (const serial of serials) await expect(row(page, serial)).not.toContainText("E2E renamed");
});

test("assign an existing person, then unassign back to the Contract Manager", async ({ page }) => {
  await signedIn(page);
  await openSlice(page, "-1000011");
  const serials = [await serialOf(page, 3), await serialOf(page, 4)];
  for (const serial of serials) await page.getByRole("checkbox", { name: `Select ${serial}` }).check();

  await page.getByRole("button", { name: "Assign", exact: true }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Find a person").fill("user05@");
  const person = dialog.getByRole("radio", { name: /user05@acme\.example/ });
  await person.check();
  const label = (await person.locator("xpath=..").innerText()).trim();
  const name = label.replace(/\s*<.*$/, "");
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog.getByText("2 of the 2 selected serial numbers will change:")).toBeVisible();
  await dialog.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("status")).toContainText(`2 serial numbers now coordinated by ${name}.`);
  for (const serial of serials) await expect(row(page, serial)).toContainText(name);

  for (const serial of serials) await page.getByRole("checkbox", { name: `Select ${serial}` }).check();
  await page.getByRole("button", { name: "Unassign" }).click();
  const unassign = page.getByRole("dialog", { name: "Unassign" });
  await expect(unassign.getByText(`2 from ${name}`)).toBeVisible();
  await unassign.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("status")).toContainText("2 serial numbers back with the Contract Manager");
  for (const serial of serials) await expect(row(page, serial)).toContainText("(Contract Manager)");
});

test("assign a new person: bad fields are named, then the person is created", async ({ page }) => {
  await signedIn(page);
  await openSlice(page, "-1000013");
  const serial = await serialOf(page, 0);
  await page.getByRole("checkbox", { name: `Select ${serial}` }).check();
  await page.getByRole("button", { name: "Assign", exact: true }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("radio", { name: "A new person" }).check();
  await dialog.getByLabel("Email").fill("not-an-email");
  await dialog.getByLabel("Last name").fill("Haddad");
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog.getByText("Email must contain @")).toBeVisible();
  await expect(dialog.getByText("First name is required")).toBeVisible();

  const email = `noor.${Date.now()}@acme.example`;
  await dialog.getByLabel("Email").fill(email);
  await dialog.getByLabel("First name").fill("Noor");
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog.getByText(`Noor Haddad <${email}> (new, will be invited)`)).toBeVisible();
  await dialog.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("status")).toContainText("1 serial number now coordinated by Noor Haddad.");
  await expect(row(page, serial)).toContainText("Noor Haddad");
});

test("select all matching across pages and assign them in one move", async ({ page }) => {
  await signedIn(page);
  await openSlice(page, "-100002", "&size=25");
  await expect(rowBoxes(page)).toHaveCount(25);
  await page.getByRole("button", { name: "Select all 100 matching" }).click();
  await expect(selectedCount(page)).toHaveText("100 selected");

  const firstRow = await table(page).getByRole("row").nth(1).innerText();
  await page.getByRole("button", { name: "Assign", exact: true }).click();
  const dialog = page.getByRole("dialog");
  const find = async (who: string) => {
    await dialog.getByLabel("Find a person").fill(`${who}@`);
    const person = dialog.getByRole("radio", { name: new RegExp(`${who}@acme\\.example`) });
    const name = (await person.locator("xpath=..").innerText()).trim().replace(/\s*<.*$/, "");
    return { person, name };
  };
  // Someone other than who coordinates them now, so the test can run again on the same data.
  let { person, name } = await find("user06");
  if (firstRow.includes(name)) ({ person, name } = await find("user07"));
  await person.check();
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog.getByText(/of the 100 selected serial numbers will change/)).toBeVisible();
  await dialog.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("status")).toContainText(`now coordinated by ${name}.`);

  // The last page, never shown before, changed too.
  await page.goto(`${CONTRACT}?q=-100002&size=25&page=4`);
  await expect(rowBoxes(page)).toHaveCount(25);
  const cells = table(page).getByRole("row").filter({ hasText: name });
  await expect(cells).toHaveCount(25);
});

test("shift-click selects a range of rows", async ({ page }) => {
  await signedIn(page);
  await openSlice(page, "-1000014");
  await rowBoxes(page).nth(1).click();
  await rowBoxes(page).nth(5).click({ modifiers: ["Shift"] });
  await expect(selectedCount(page)).toHaveText("5 selected");
  for (const i of [1, 2, 3, 4, 5]) await expect(rowBoxes(page).nth(i)).toBeChecked();
  await expect(rowBoxes(page).nth(0)).not.toBeChecked();
  await expect(rowBoxes(page).nth(6)).not.toBeChecked();
});

test("the keyboard selects: space toggles, shift+arrow extends, arrows move", async ({ page }) => {
  await signedIn(page);
  await openSlice(page, "-1000015");
  await rowBoxes(page).nth(0).focus();
  await page.keyboard.press("Space");
  await expect(selectedCount(page)).toHaveText("1 selected");
  await page.keyboard.press("Shift+ArrowDown");
  await page.keyboard.press("Shift+ArrowDown");
  await expect(selectedCount(page)).toHaveText("3 selected");
  await expect(rowBoxes(page).nth(2)).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(rowBoxes(page).nth(3)).toBeFocused();
  await expect(rowBoxes(page).nth(3)).not.toBeChecked();
  await expect(selectedCount(page)).toHaveText("3 selected");
});

test("the selection is kept across pages", async ({ page }) => {
  await signedIn(page);
  await openSlice(page, "-100003", "&size=25");
  await rowBoxes(page).nth(0).check();
  await rowBoxes(page).nth(1).check();
  await page.getByRole("link", { name: "Next page" }).click();
  await expect(page.getByText("26–50 of 100")).toBeVisible();
  await rowBoxes(page).nth(0).check();
  await expect(selectedCount(page)).toHaveText("3 selected");
  await page.getByRole("link", { name: "Previous page" }).click();
  await expect(page.getByText("1–25 of 100")).toBeVisible();
  await expect(rowBoxes(page).nth(0)).toBeChecked();
  await expect(rowBoxes(page).nth(1)).toBeChecked();
});

async function contractManagerPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signedIn(page);
  return page;
}

test("two admins at once: the second is told which serials changed and reloads", async ({ browser }) => {
  const first = await contractManagerPage(browser);
  const second = await contractManagerPage(browser);
  await openSlice(first, "-1000016");
  await openSlice(second, "-1000016");
  const serials = [await serialOf(first, 0), await serialOf(first, 1)];
  for (const p of [first, second]) {
    for (const serial of serials) await p.getByRole("checkbox", { name: `Select ${serial}` }).check();
  }

  // A name of this run's own, so the test can run again on the same data.
  const winner = `First wins ${Date.now()}`;
  await first.getByRole("button", { name: "Rename Group" }).click();
  await first.getByRole("dialog").getByLabel("Group name").fill(winner);
  await first.getByRole("dialog").getByRole("button", { name: "Continue" }).click();
  await first.getByRole("dialog").getByRole("button", { name: "Apply" }).click();
  await expect(first.getByRole("status")).toContainText("2 serial numbers moved");

  await second.getByRole("button", { name: "Rename Group" }).click();
  await second.getByRole("dialog").getByLabel("Group name").fill("Second loses");
  await second.getByRole("dialog").getByRole("button", { name: "Continue" }).click();
  const alert = second.getByRole("alert");
  await expect(alert).toContainText("Someone else changed 2 of the selected serial numbers");
  for (const serial of serials) await expect(alert).toContainText(serial);
  await alert.getByRole("button", { name: "Reload" }).click();
  for (const serial of serials) await expect(row(second, serial)).toContainText(winner);
  await expect(selectedCount(second)).toHaveText("0 selected");
});

test("someone who is not the contract's CM sees the table without action buttons", async ({ page }) => {
  await signIn(page, "cm2@acme.example");
  await expect(page).toHaveURL(/\/$/);
  await page.goto(CONTRACT);
  await hydrated(page);
  await expect(table(page)).toBeVisible();
  // A full first page of the contract's serial numbers: a header and 50 rows, each with its serial.
  await expect(table(page).getByRole("row")).toHaveCount(51);
  await expect(table(page).getByRole("cell", { name: /^\d{3}-\d{8}$/ })).toHaveCount(50);
  await expect(page.getByRole("button", { name: "Rename Group" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Assign", exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Unassign" })).toHaveCount(0);
  await expect(rowBoxes(page)).toHaveCount(0);
});
