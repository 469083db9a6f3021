import { expect, test } from "@playwright/test";
import { signIn } from "./support";

test("the Products table renders, filters and pages without JavaScript", async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/$/);
  await page.goto("/management/users/coordinators/110000001");
  const table = page.getByRole("table", { name: "Serial numbers" });
  await expect(table.getByRole("row")).toHaveCount(51); // a header and a page of 50
  await page.getByLabel("Search").fill("-1000017");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/q=-1000017/);
  await expect(table.getByRole("row")).toHaveCount(11);
  await page.getByRole("link", { name: /Quantity/ }).click();
  await expect(page).toHaveURL(/sort=quantity/);
  await expect(page.getByRole("columnheader", { name: /Quantity/ })).toHaveAttribute("aria-sort", "ascending");
});
