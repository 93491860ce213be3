// Details a phone and a keyboard user notice: every field's text is at least 16 px (iOS zooms into
// smaller ones), and the focus ring stands out at 3:1 or more against the page (WCAG 2.2).
import { test, expect, signUp, visit, createIcpViaApi, minimalBody, uniqueTag, addFilter } from "../support/app";

/** The relative luminance of a CSS `rgb(…)` colour. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test("fields are 16 px or more and the focus ring contrasts 3:1 with the page", async ({ page, baseURL }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signUp(page, { name: "Fay Finish" });
  // With an ICP, the list shows its search box.
  await createIcpViaApi(page, minimalBody(`Finish ${uniqueTag()}`), baseURL!);
  for (const path of ["/icps", "/icps/new", "/settings", "/settings/team"]) {
    await visit(page, path);
    const small = await page.evaluate(() =>
      [...document.querySelectorAll("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea")]
        .filter((field) => (field as HTMLElement).offsetParent !== null)
        .map((field) => [field.getAttribute("name") ?? field.id, parseFloat(getComputedStyle(field).fontSize)] as const)
        .filter(([, size]) => size < 16),
    );
    expect(small, `fields under 16 px on ${path}`).toEqual([]);
  }
  await visit(page, "/icps");
  await expect(page.getByRole("searchbox")).toHaveCSS("font-size", "16px");

  await visit(page, "/settings");
  const search = page.getByLabel("Label");
  await search.focus();
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Tab");
  const [style, ring, background] = await search.evaluate((field) => [
    getComputedStyle(field).outlineStyle,
    getComputedStyle(field).outlineColor,
    getComputedStyle(document.documentElement).backgroundColor,
  ]);
  expect(style, "the keyboard-focused field shows its ring").toBe("solid");
  expect(contrast(ring, background)).toBeGreaterThanOrEqual(3);
  expect(contrast(ring, "rgb(255, 255, 255)")).toBeGreaterThanOrEqual(3);
});

test("on a phone no page scrolls sideways", async ({ page, baseURL }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signUp(page, { name: "Pia Phone" });
  const icp = await createIcpViaApi(page, minimalBody(`Phone ${uniqueTag()} with a rather long name that wraps`), baseURL!);
  for (const path of ["/icps", "/icps/new", `/icps/${icp.id}`, `/icps/${icp.id}/history`, "/settings", "/settings/team", "/icps/import"]) {
    await visit(page, path);
    const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(scroll, `${path} is ${scroll} px wide on a ${width} px screen`).toBeLessThanOrEqual(width);
    await testInfo.attach(`phone ${path}`, { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
  }
  // A builder with a field condition and a CRM condition row.
  await visit(page, "/icps/new");
  await addFilter(page, "Field condition");
  await page.getByLabel("Also source leads from Bullhorn").check();
  await page.getByRole("button", { name: "Add condition" }).click();
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(scroll, `the builder with condition rows is ${scroll} px wide on a ${width} px screen`).toBeLessThanOrEqual(width);
  await testInfo.attach("phone builder with conditions", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
});
