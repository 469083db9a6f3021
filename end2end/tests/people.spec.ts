import { expect, test } from "@playwright/test";
import { accounts, addPerson, hydrated, openUsers, signIn } from "./support";

// Classic User Management, first part (issue 5): Add and Bulk Add. Each test makes its own people,
// with addresses no other test uses.

test("a Contract Manager adds one person, who is invited", async ({ page }) => {
  await signIn(page);
  await openUsers(page);
  const email = `ada.${Date.now()}@acme.example`;
  await page.getByRole("button", { name: "Add", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Add a person" });
  await dialog.getByLabel("Email").fill("ada@");
  await dialog.getByRole("button", { name: "Save & Continue" }).click();
  await expect(dialog.getByText("Email must have a domain such as example.com after the @")).toBeVisible();
  await expect(dialog.getByText("First name is required")).toBeVisible();

  await dialog.getByLabel("Email").fill(email);
  await dialog.getByLabel("First name").fill("Ada");
  await dialog.getByLabel("Last name").fill("Byron");
  await dialog.getByRole("button", { name: "Save & Continue" }).click();
  await expect(page.getByRole("status")).toHaveText("Ada Byron was added and invited.");

  await page.getByLabel("Search").fill(email);
  await page.getByRole("button", { name: "Find" }).click();
  const row = page.getByRole("table", { name: "People" }).getByRole("row").filter({ hasText: email });
  await expect(row).toContainText("Invited");
  await expect(row).toContainText("Ada Byron");
});

test("Bulk Add reports every entry and adds the valid new ones after confirmation", async ({ page }) => {
  await signIn(page);
  await openUsers(page);
  const stamp = Date.now();
  const text = [
    `Nia Obi <nia.${stamp}@acme.example>`,
    "user01@acme.example",
    `NIA.${stamp}@acme.example`,
    "not-an-email",
    `rae.kim.${stamp}@acme.example`,
  ].join("; ");
  await page.getByRole("button", { name: "Bulk Add" }).click();
  const dialog = page.getByRole("dialog", { name: "Bulk Add" });
  await dialog.getByLabel("People").fill(text);
  await dialog.getByRole("button", { name: "Preview" }).click();
  const outcomes = dialog.getByRole("table", { name: "What Bulk Add will do" });
  const entry = (text: string) => outcomes.getByRole("row").filter({ has: page.getByRole("cell", { name: text, exact: true }) });
  await expect(entry(`nia.${stamp}@acme.example`)).toContainText("Will be added: Nia Obi");
  await expect(entry("user01@acme.example")).toContainText("Already known");
  await expect(entry(`NIA.${stamp}@acme.example`)).toContainText("Duplicate in the list");
  await expect(entry("not-an-email")).toContainText("Invalid: Email must contain @");

  await dialog.getByRole("button", { name: "Add 2 people" }).click();
  await expect(page.getByRole("status")).toHaveText("2 people were added and invited; 3 entries were left out.");
  await page.getByLabel("Search").fill(String(stamp));
  await page.getByRole("button", { name: "Find" }).click();
  await expect(page.getByRole("table", { name: "People" }).getByRole("row")).toHaveCount(3);
});

test("an added person accepts the invitation from the mailbox and signs in", async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin);
  await openUsers(admin);
  const email = `lin.${Date.now()}@acme.example`;
  await addPerson(admin, email, "Lin", "Wu");

  await admin.goto("/dev/mailbox");
  const mail = admin.getByRole("article", { name: `Email to ${email}` });
  const href = await mail.getByRole("link", { name: "Accept the invitation" }).getAttribute("href");

  // The invitee, in a browser of their own, not signed in.
  const invitee = await (await browser.newContext()).newPage();
  await invitee.goto(href!);
  await expect(invitee.getByRole("heading", { name: "Welcome, Lin" })).toBeVisible();
  await invitee.getByLabel("Password", { exact: true }).fill("lin-secret-123");
  await invitee.getByLabel("Confirm password").fill("lin-secret-123");
  await invitee.getByRole("button", { name: "Accept invitation" }).click();
  await expect(invitee).toHaveURL(/\/$/);
  await expect(invitee.getByTestId("signed-in-as")).toHaveText("Lin Wu");

  await invitee.getByRole("button", { name: "Sign out" }).click();
  await signIn(invitee, email, "lin-secret-123");
  await expect(invitee).toHaveURL(/\/$/);
  await expect(invitee.getByTestId("signed-in-as")).toHaveText("Lin Wu");

  // The link was single-use.
  await invitee.goto(href!);
  await expect(invitee.getByRole("heading", { name: "This link no longer works" })).toBeVisible();
});

test("the CM has no remove button; a person with nothing assigned is removed after confirmation", async ({ page }) => {
  await signIn(page);
  await openUsers(page, "cm@acme.example");
  await expect(page.getByRole("table", { name: "People" }).getByRole("row").filter({ hasText: "cm@acme.example" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Remove cm@acme.example" })).toHaveCount(0);

  const email = `temp.${Date.now()}@acme.example`;
  await addPerson(page, email, "Tem", "Porary");

  await openUsers(page, email);
  await page.getByRole("button", { name: `Remove ${email}` }).click();
  const confirm = page.getByRole("alertdialog", { name: "Remove Tem Porary?" });
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByRole("table", { name: "People" }).getByRole("row").filter({ hasText: email })).toBeVisible();
  await page.getByRole("button", { name: `Remove ${email}` }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Remove" }).click();
  await expect(page.getByRole("status")).toHaveText("Tem Porary was removed.");
  await expect(page.getByRole("table", { name: "People" }).getByRole("row").filter({ hasText: email })).toHaveCount(0);
});

test("Edit Access assigns every service with the Assign box; removal waits until nothing is assigned", async ({ page }) => {
  await signIn(page);
  const email = "user15@acme.example";
  await openUsers(page, email);
  const row = page.getByRole("table", { name: "People" }).getByRole("row").filter({ hasText: email });
  await expect(row.getByRole("button", { name: `Remove ${email}` })).toBeVisible();

  await row.getByRole("button", { name: "Edit Access" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit Access" });
  // The keyboard starts on the Assign box: Space takes every service.
  await expect(dialog.getByRole("checkbox", { name: "Assign", exact: true })).toBeFocused();
  await page.keyboard.press("Space");
  await expect(dialog.getByRole("checkbox", { name: "Assign", exact: true })).toBeChecked();
  for (const box of await dialog.getByRole("group", { name: "Cloud services" }).getByRole("checkbox").all()) {
    await expect(box).toBeChecked();
  }
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText("6 added, 0 removed.");
  await expect(row.getByRole("cell").nth(4)).toHaveText("6");
  // The list was drawn anew with the saved numbers; the keyboard is back on the button that opened the dialog.
  await expect(row.getByRole("button", { name: "Edit Access" })).toBeFocused();
  await expect(row.getByRole("button", { name: `Remove ${email}` })).toHaveCount(0);

  await row.getByRole("button", { name: "Edit Access" }).click();
  await page.getByRole("dialog", { name: "Edit Access" }).getByRole("checkbox", { name: "Assign", exact: true }).uncheck();
  await page.getByRole("dialog", { name: "Edit Access" }).getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText("0 added, 6 removed.");
  await expect(row.getByRole("button", { name: `Remove ${email}` })).toBeVisible();
});

test("the users list filters by status and role, and the filters live in the URL", async ({ page }) => {
  await signIn(page);
  await openUsers(page);
  const email = `filter.${Date.now()}@acme.example`;
  await addPerson(page, email, "Fil", "Ter");

  const people = page.getByRole("table", { name: "People" });
  await page.getByLabel("Search").fill(email);
  await page.getByLabel("Status").selectOption({ label: "Invited" });
  await page.getByRole("button", { name: "Find" }).click();
  await expect(page).toHaveURL(/status=invited/);
  await expect(people.getByRole("row").filter({ hasText: email })).toContainText("Invited");

  await page.getByLabel("Status").selectOption({ label: "Active" });
  await page.getByRole("button", { name: "Find" }).click();
  await expect(page).toHaveURL(/status=active/);
  await expect(people.getByRole("cell", { name: "Nobody matches these filters." })).toBeVisible();

  // A link carries the filters: reloading shows the same list, the form says which filters are on.
  await page.goto(`/management/users?q=${encodeURIComponent(accounts.contractManager)}&role=cm`);
  await hydrated(page);
  await expect(page.getByLabel("Role")).toHaveValue("cm");
  await expect(people.getByRole("row").filter({ hasText: accounts.contractManager })).toContainText("Contract Manager");
  await page.getByLabel("Role").selectOption({ label: "User" });
  await page.getByRole("button", { name: "Find" }).click();
  await expect(people.getByRole("cell", { name: "Nobody matches these filters." })).toBeVisible();
});

test("the Emails page lists the invitation of a person just added, with where its delivery stands", async ({ page }) => {
  await signIn(page);
  await openUsers(page);
  const email = `mail.${Date.now()}@acme.example`;
  await addPerson(page, email, "Mai", "Ling");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Emails" }).click();
  await expect(page.getByRole("heading", { name: "Emails", level: 1 })).toBeVisible();
  const row = page.getByRole("table", { name: "Emails" }).getByRole("row").filter({ hasText: email });
  await expect(row).toContainText("You are invited to Seatkeeper");
  // Where it stands, in words, whether or not the server delivers email: here (no SMTP, as in the
  // demo) it waits; a deployment may have sent it, be trying again, or have given up, with the reason.
  const delivery = row.getByRole("cell").nth(3);
  await expect(delivery).toHaveText(
    /^(Waiting to be sent|Sent .+ UTC|Not delivered after \d+ attempts?, trying again at .+ UTC: .+|Failed after \d+ attempts?: .+)$/,
  );
});

test("from the keyboard: Add opens on Email, Tab and Enter save; a removal asks with Cancel focused and Escape keeps the person", async ({ page }) => {
  await signIn(page);
  await openUsers(page);
  const email = `kay.${Date.now()}@acme.example`;
  const add = page.getByRole("button", { name: "Add", exact: true });
  await add.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Add a person" });
  await expect(dialog.getByLabel("Email")).toBeFocused();
  // Escape closes it and the keyboard is back on Add.
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(add).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(dialog.getByLabel("Email")).toBeFocused();
  await page.keyboard.type(email);
  await page.keyboard.press("Tab");
  await page.keyboard.type("Kay");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Board");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status")).toHaveText("Kay Board was added and invited.");
  await expect(dialog).toBeHidden();
  await expect(add).toBeFocused();

  await openUsers(page, email);
  await page.getByRole("button", { name: `Remove ${email}` }).click();
  const confirm = page.getByRole("alertdialog", { name: "Remove Kay Board?" });
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(confirm).toBeHidden();
  await expect(page.getByRole("button", { name: `Remove ${email}` })).toBeFocused();
  await expect(page.getByRole("table", { name: "People" }).getByRole("row").filter({ hasText: email })).toBeVisible();
});

test("History shows who added a person, and when", async ({ page }) => {
  await signIn(page);
  await openUsers(page);
  const email = `hist.${Date.now()}@acme.example`;
  await addPerson(page, email, "His", "Tory");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "History" }).click();
  await expect(page.getByRole("heading", { name: "History", level: 1 })).toBeVisible();
  const row = page.getByRole("table", { name: "History" }).getByRole("row").filter({ hasText: email }).first();
  await expect(row).toContainText("Person added");
  await expect(row).toContainText(`<${accounts.contractManager}>`);
  await expect(row).toContainText("UTC");
});
