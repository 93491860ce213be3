// Who may see what: ICPs are private to the users they are shared with, pages need a session, and
// cookie-authenticated writes must come from the app's own pages.
import {
  test,
  expect,
  signUp,
  signIn,
  visit,
  createIcpViaApi,
  minimalBody,
  uniqueTag,
} from "../support/app";

test.describe("another user", () => {
  test("cannot see or open the first user’s ICP", async ({ page, browser, baseURL }) => {
    await signUp(page, { name: "Ana Lopez" });
    const name = `Ana’s private ICP ${uniqueTag()}`;
    const icp = await createIcpViaApi(page, minimalBody(name), baseURL!);
    await visit(page, "/icps");
    await expect(page.getByRole("link", { name })).toBeVisible();

    const other = await browser.newContext();
    const bob = await other.newPage();
    try {
      await signUp(bob, { name: "Bob Meyer" });
      await visit(bob, "/icps");
      await expect(bob.getByRole("heading", { level: 1, name: "Your ICPs" })).toBeVisible();
      await expect(bob.getByRole("heading", { name: "No ICPs yet" })).toBeVisible();
      await expect(bob.getByText(name)).toHaveCount(0);

      for (const url of [`/icps/${icp.id}`, `/icps/${icp.id}/edit`, `/icps/new?from=${icp.id}`]) {
        const response = await visit(bob, url);
        expect(response?.status(), url).toBe(403);
        await expect(bob.getByRole("heading", { level: 1, name: "You don’t have access to this ICP" })).toBeVisible();
        await expect(bob.getByText(name)).toHaveCount(0);
        await expect(bob.getByRole("link", { name: "Back to your ICPs" })).toHaveAttribute("href", "/icps");
      }

      // Nor through the API with his session, nor by deleting it from a form.
      const api = await bob.request.get(`/api/v1/entities/icps/${icp.id}`);
      expect(api.status()).toBe(403);
      const listed = await bob.request.get("/api/v1/entities/icps");
      expect(JSON.stringify(await listed.json())).not.toContain(icp.id);
      const deleted = await bob.request.post(`/forms/icps/${icp.id}/delete`, {
        headers: { Origin: baseURL! },
        maxRedirects: 0,
      });
      expect(deleted.status()).toBe(403);
    } finally {
      await other.close();
    }

    // Ana still has it.
    const still = await page.request.get(`/api/v1/entities/icps/${icp.id}`);
    expect(still.status()).toBe(200);
  });

  test("an ICP that does not exist shows the not-found page", async ({ page }) => {
    await signUp(page);
    for (const url of ["/icps/00000000-0000-7000-8000-000000000000", "/icps/not-a-uuid"]) {
      const response = await visit(page, url);
      expect(response?.status(), url).toBe(404);
      await expect(page.getByRole("heading", { level: 1, name: "This ICP doesn’t exist" })).toBeVisible();
    }
  });
});

test.describe("signed out", () => {
  for (const path of ["/icps", "/icps/new", "/settings"]) {
    test(`a visit to ${path} goes to sign-in and comes back after signing in`, async ({ page, browser }) => {
      // An account made in another browser.
      const setup = await browser.newContext();
      const account = await signUp(await setup.newPage());
      await setup.close();

      const response = await page.goto(path);
      expect(response?.status()).toBe(200);
      await expect(page).toHaveURL(`/sign-in?next=${encodeURIComponent(path)}`);
      await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
      await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
      await expect(page.getByRole("link", { name: "New ICP" })).toHaveCount(0);

      // Signing in from there leads back to the page asked for.
      await page.waitForSelector("body[data-hydrated]", { state: "attached" });
      await page.getByLabel("Email").fill(account.email);
      await page.getByLabel("Password").fill(account.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(path);
    });
  }

  test("signing out ends the session", async ({ page }) => {
    const account = await signUp(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await page.goto("/icps");
    await expect(page).toHaveURL(/\/sign-in\?next=%2Ficps$/);
    const api = await page.request.get("/api/v1/entities/icps");
    expect(api.status()).toBe(401);

    await signIn(page, account);
    await expect(page).toHaveURL(/\/icps$/);
  });
});

test.describe("cross-site requests", () => {
  test("a form post from another origin with a valid session cookie is refused and creates nothing", async ({
    page,
    baseURL,
    problems,
  }) => {
    problems.expected.push(/net::ERR_FAILED \[[^\]]*\/fn\/save_icp/);
    await signUp(page);
    const name = `Forged ${uniqueTag()}`;
    const form = {
      name,
      leadsPerList: "10",
      "lead.1.type": "person",
      "lead.1.job_title.new": "CTO",
      "filter.2.type": "maxPeoplePerCompany",
      "filter.2.value": "2",
    };

    const forged = await page.request.post("/forms/icps", {
      headers: { Origin: "https://evil.example" },
      form,
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain("Cross-site request refused");

    // The server function behind the hydrated builder refuses it too: capture the builder's own
    // request (without letting it through), then replay it from another origin.
    await visit(page, "/icps/new");
    await page.getByRole("textbox", { name: "Name", exact: true }).fill(name);
    const titles = page.getByRole("textbox", { name: "Job titles" }).first();
    await titles.fill("CTO");
    await titles.press("Enter");
    const captured = new Promise<{ url: string; body: string }>((resolve) => {
      void page.route("**/fn/save_icp*", async (route) => {
        resolve({ url: route.request().url(), body: route.request().postData() ?? "" });
        await route.abort();
      });
    });
    await page.getByRole("button", { name: "Create ICP" }).first().click();
    const save = await captured;
    await page.unrouteAll({ behavior: "ignoreErrors" });
    expect(JSON.parse(save.body).body).toContain(name);
    const forgedFn = await page.request.post(save.url, {
      headers: { Origin: "https://evil.example", "Content-Type": "application/json" },
      data: save.body,
      maxRedirects: 0,
    });
    expect(forgedFn.status()).toBe(403);

    // Without Origin, a foreign Referer is refused as well.
    const referred = await page.request.post("/forms/icps", {
      headers: { Referer: "https://evil.example/page" },
      form,
      maxRedirects: 0,
    });
    expect(referred.status()).toBe(403);

    const list = await page.request.get("/api/v1/entities/icps");
    expect(list.status()).toBe(200);
    expect(JSON.stringify(await list.json())).not.toContain(name);
    await visit(page, "/icps");
    await expect(page.getByText(name)).toHaveCount(0);
    await expect(page.getByRole("heading", { name: "No ICPs yet" })).toBeVisible();

    // The same post from the app's own origin is accepted: the refusal was about the origin.
    const own = await page.request.post("/forms/icps", {
      headers: { Origin: baseURL! },
      form,
      maxRedirects: 0,
    });
    expect(own.status()).toBe(303);
    expect(own.headers()["location"]).toMatch(/^\/icps\/[0-9a-f-]{36}$/);
    const ownFn = await page.request.post(save.url, {
      headers: { Origin: baseURL!, "Content-Type": "application/x-www-form-urlencoded" },
      data: save.body,
    });
    expect(ownFn.status()).toBe(200);
  });
});
