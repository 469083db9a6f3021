import { expect, test as base, type Locator, type Page } from "@playwright/test";
import { accounts, openUsers, signIn } from "./support";

// R18/R19 end to end: Edit Access with the Assign box, up to the seat cap and one past it. A
// multi-user licence of quantity 1 serves three people; the demo's second company (Globex) holds one
// such serial, of ReCap Pro. Against a deployment, E2E_SMALL_CM_EMAIL names a user manager there and
// E2E_SMALL_SERVICE a service with at most three free seats: the test fills what is free, is refused
// one past it, then gives the seats back and removes the people it made.
const manager = process.env.E2E_SMALL_CM_EMAIL ?? "cm@globex.example";
const service = process.env.E2E_SMALL_SERVICE ?? "ReCap Pro 2026 — Reality capture";
const domain = manager.split("@")[1];

function rowOf(page: Page, email: string): Locator {
  return page.getByRole("table", { name: "People" }).getByRole("row").filter({ hasText: email });
}

async function editAccess(page: Page, email: string): Promise<Locator> {
  await rowOf(page, email).getByRole("button", { name: "Edit Access" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit Access" });
  await expect(dialog.getByRole("checkbox", { name: service })).toBeVisible();
  return dialog;
}

/** The "(used of total seats used)" beside the service. */
async function seatsOf(dialog: Locator): Promise<{ used: number; total: number }> {
  const text = (await dialog.locator("label").filter({ hasText: service }).textContent()) ?? "";
  const match = text.match(/\(([\d,]+) of ([\d,]+) seats used\)/);
  expect(match, `seats shown beside ${service}: ${text}`).not.toBeNull();
  const number = (s: string) => Number(s.replace(/,/g, ""));
  return { used: number(match![1]), total: number(match![2]) };
}

/** Every service of `email` given back with the Assign box, and Save. */
async function giveBack(page: Page, email: string) {
  const dialog = await editAccess(page, email);
  await dialog.getByRole("checkbox", { name: "Assign", exact: true }).uncheck();
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText(/: 0 added, \d+ removed\./);
  await expect(dialog).toBeHidden();
}

async function remove(page: Page, email: string) {
  await rowOf(page, email).getByRole("button", { name: `Remove ${email}` }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Remove" }).click();
  await expect(rowOf(page, email)).toHaveCount(0);
}

/** The people a test may add, by a stamp of their own. Whatever happens in the test, afterwards every
 * one of them still listed gives back their seats and is removed: a deployment is left as it was. */
type SeatTakers = { stamp: string; people: string[] };

const test = base.extend<{ seatTakers: SeatTakers }>({
  seatTakers: [
    async ({ page }, use) => {
      const stamp = String(Date.now());
      const people = [1, 2, 3, 4].map((n) => `seat${n}.${stamp}@${domain}`);
      await use({ stamp, people });

      await openUsers(page, stamp);
      if (new URL(page.url()).pathname === "/login") {
        await signIn(page, manager, accounts.password);
        await openUsers(page, stamp);
      }
      await expect(page.getByRole("table", { name: "People" })).toBeVisible();
      for (const email of people) {
        if ((await rowOf(page, email).count()) === 0) continue;
        if ((await rowOf(page, email).getByRole("cell").nth(4).textContent())?.trim() !== "0") await giveBack(page, email);
        await remove(page, email);
      }
    },
    // The clean-up gets time of its own, even after a test that ran out of time.
    { timeout: 60_000 },
  ],
});

test("Edit Access assigns all up to the seat cap and is refused one past it, with the numbers", async ({ page, seatTakers }) => {
  test.slow(); // a dozen dialogs in one test
  const { stamp, people } = seatTakers;
  await signIn(page, manager, accounts.password);
  await openUsers(page);
  await page.getByRole("button", { name: "Bulk Add" }).click();
  const bulk = page.getByRole("dialog", { name: "Bulk Add" });
  await bulk.getByLabel("People").fill(people.map((email, i) => `Seat${i + 1} Taker <${email}>`).join("; "));
  await bulk.getByRole("button", { name: "Preview" }).click();
  await bulk.getByRole("button", { name: "Add 4 people" }).click();
  await expect(page.getByRole("status")).toHaveText("4 people were added and invited.");

  await openUsers(page, stamp);
  let dialog = await editAccess(page, people[0]);
  const { used, total } = await seatsOf(dialog);
  const free = total - used;
  expect(free, `${service} needs between 1 and 3 free seats for this test`).toBeGreaterThan(0);
  expect(free).toBeLessThanOrEqual(3);
  await dialog.getByRole("button", { name: "Cancel" }).click();

  // Up to the cap: each Save takes one seat.
  for (const email of people.slice(0, free)) {
    dialog = await editAccess(page, email);
    await dialog.getByRole("checkbox", { name: "Assign", exact: true }).check();
    await expect(dialog.getByRole("checkbox", { name: service })).toBeChecked();
    await dialog.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status")).toContainText(/: \d+ added, 0 removed\./);
    await expect(dialog).toBeHidden();
  }

  // One past it: refused with the numbers, and nothing changes for that person.
  const extra = people[free];
  dialog = await editAccess(page, extra);
  expect(await seatsOf(dialog)).toEqual({ used: total, total });
  await dialog.getByRole("checkbox", { name: "Assign", exact: true }).check();
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog.getByRole("alert")).toContainText(`${service}: all ${total} seats are taken`);
  await expect(dialog.getByRole("alert")).toContainText("Nothing was changed.");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await openUsers(page, extra);
  await expect(rowOf(page, extra).getByRole("cell").nth(4)).toHaveText("0");
  await expect(rowOf(page, extra).getByRole("button", { name: `Remove ${extra}` })).toBeVisible();

  // Seats given back, the people removed: the deployment is as it was.
  await openUsers(page, stamp);
  for (const email of people.slice(0, free)) await giveBack(page, email);
  dialog = await editAccess(page, extra);
  expect(await seatsOf(dialog)).toEqual({ used, total });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  for (const email of people) await remove(page, email);
});
