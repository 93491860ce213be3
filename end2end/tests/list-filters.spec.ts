// Searching and the Active/Expired tabs on /icps: what is shown follows the URL, so a filtered list
// can be bookmarked, shared and reloaded.
import { test, expect, signUp, visit, createIcpViaApi, minimalBody, uniqueTag } from "../support/app";

test("search and status tabs narrow the list and live in the URL", async ({ page, baseURL }) => {
  await signUp(page);
  const tag = uniqueTag();
  await createIcpViaApi(page, { ...minimalBody(`DACH Leaders ${tag}`), description: "Käufer in München" }, baseURL!);
  await createIcpViaApi(page, { ...minimalBody(`Nordics ${tag}`), activeUntil: "2020-01-01T00:00:00.000Z" }, baseURL!);
  await createIcpViaApi(
    page,
    { ...minimalBody(`DACH 2020 ${tag}`), activeUntil: "2020-06-30T00:00:00.000Z" },
    baseURL!,
  );
  await visit(page, "/icps");
  const cards = page.getByRole("rowheader");
  await expect(cards).toHaveCount(3);

  // Accents and case do not matter; Enter submits the search.
  const search = page.getByRole("searchbox", { name: "Search your ICPs" });
  await search.fill("MUNCHEN");
  await search.press("Enter");
  await expect(page).toHaveURL(/\/icps\?q=MUNCHEN$/);
  await expect(cards).toHaveText([`DACH Leaders ${tag}`]);
  await expect(page.getByText("1 of 3 ICPs match")).toBeVisible();

  await search.fill("dach");
  await search.press("Enter");
  await expect(cards).toHaveCount(2);
  await page.getByRole("navigation", { name: "Show" }).getByRole("link", { name: "Expired" }).click();
  await expect(page).toHaveURL(/\/icps\?q=dach&active=false$/);
  await expect(cards).toHaveText([`DACH 2020 ${tag}`]);
  await expect(page.getByRole("link", { name: "Expired" })).toHaveAttribute("aria-current", "page");

  // The URL alone brings the same list back (a bookmark, a reload, a shared link).
  await visit(page, "/icps?q=dach&active=false");
  await expect(cards).toHaveText([`DACH 2020 ${tag}`]);
  await expect(search).toHaveValue("dach");
  await page.getByRole("link", { name: "Active" }).click();
  await expect(page).toHaveURL(/\/icps\?q=dach&active=true$/);
  await expect(cards).toHaveText([`DACH Leaders ${tag}`]);

  await visit(page, "/icps?q=nothing-like-this");
  await expect(page.getByText("No ICPs match “nothing-like-this”.")).toBeVisible();
  await page.getByRole("link", { name: "Show all ICPs" }).click();
  await expect(cards).toHaveCount(3);
});

test("the list sorts by name and by last update, and the order stays in every link", async ({ page, baseURL }) => {
  await signUp(page);
  const tag = uniqueTag();
  const names = [`beta ${tag}`, `Alpha ${tag}`, `Écho ${tag}`];
  const ids: string[] = [];
  for (const name of names) {
    const created = await createIcpViaApi(page, minimalBody(name), baseURL!);
    ids.push(created.id);
  }
  await visit(page, "/icps");
  const cards = page.getByRole("rowheader");
  await expect(cards).toHaveText([`Écho ${tag}`, `Alpha ${tag}`, `beta ${tag}`]);
  const sortBy = page.getByRole("navigation", { name: "Sort by" });
  await expect(sortBy.getByRole("link", { name: "Newest" })).toHaveAttribute("aria-current", "page");

  // By name: case and accents aside.
  await sortBy.getByRole("link", { name: "Name A–Z" }).click();
  await expect(page).toHaveURL(/\/icps\?sort=name$/);
  await expect(cards).toHaveText([`Alpha ${tag}`, `beta ${tag}`, `Écho ${tag}`]);
  await expect(page.getByRole("columnheader", { name: "Name" })).toHaveAttribute("aria-sort", "ascending");

  // A search keeps the order, and the order keeps the search.
  const search = page.getByRole("searchbox", { name: "Search your ICPs" });
  await search.fill(tag);
  await search.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/icps\\?q=${tag}&sort=name$`));
  await expect(cards).toHaveText([`Alpha ${tag}`, `beta ${tag}`, `Écho ${tag}`]);

  // By last update: the one just changed comes first.
  const changed = await page.request.patch(`/api/v1/entities/icps/${ids[0]}`, {
    data: { description: "changed" },
    headers: { Origin: baseURL! },
  });
  expect(changed.status()).toBe(200);
  await sortBy.getByRole("link", { name: "Recently updated" }).click();
  await expect(page).toHaveURL(new RegExp(`/icps\\?q=${tag}&sort=updated$`));
  await expect(cards).toHaveText([`beta ${tag}`, `Écho ${tag}`, `Alpha ${tag}`]);
  await expect(page.getByRole("columnheader", { name: "Updated" })).toHaveAttribute("aria-sort", "descending");
});
