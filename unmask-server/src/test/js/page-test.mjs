// Drives the unmask serve page in headless Chromium at a phone's size: upload a video, wait for the
// verdict, check the chart and an overlay are shown, save a screenshot, and run axe-core.
// Run by BrowserPageTest with UNMASK_URL, UNMASK_VIDEO, UNMASK_SCREENSHOT and CHROMIUM set.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const base = process.env.UNMASK_URL;
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, headless: true, args: ["--no-sandbox"] });
try {
  // CSP is bypassed only so that axe-core can be injected; the page itself needs nothing outside the server.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  const page = await context.newPage();
  const outside = [];
  page.on("request", (r) => { const u = r.url(); if (!u.startsWith(base) && !u.startsWith("blob:") && !u.startsWith("data:")) outside.push(u); });
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  await page.goto(base + "/");
  await page.locator("#detector dt").getByText("Backbone", { exact: true }).waitFor({ timeout: 20000 });

  // Keyboard: the file picker is reached with Tab.
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement && document.activeElement.id) === "file", "Tab does not reach the file picker first");

  await page.setInputFiles("#file", process.env.UNMASK_VIDEO);
  await page.locator("#result").waitFor({ state: "visible", timeout: 120000 });
  await page.waitForFunction(() => [...document.querySelectorAll("#overlays img")].some((i) => i.complete && i.naturalWidth > 0), null, { timeout: 30000 });

  const verdict = (await page.textContent("#verdict")).trim();
  const score = (await page.textContent("#score-line")).trim();
  const points = await page.locator("#chart svg circle.point").count();
  const threshold = await page.locator("#chart svg line.threshold").count();
  const overlays = await page.locator("#overlays img").count();
  const status = (await page.textContent("#status")).trim();
  const progress = await page.getAttribute("#upload-progress", "value");
  check(/Likely (fake|real)/.test(verdict), "verdict shown: " + verdict);
  check(/Fake probability \d\.\d{3} against the detector's threshold \d\.\d{3}/.test(score), "score and threshold shown: " + score);
  check(points >= 2, "the chart has " + points + " points");
  check(threshold === 1, "the chart has no threshold line");
  check(overlays >= 1, "no overlay shown");
  check(status.startsWith("Done"), "status: " + status);
  check(progress === "100", "upload progress ends at " + progress);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 390, "the page is wider than the phone: " + width + " px");

  await page.screenshot({ path: process.env.UNMASK_SCREENSHOT, fullPage: true });

  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const axe = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const serious = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  serious.forEach((v) => failures.push("axe " + v.impact + ": " + v.id + " (" + v.help + ") on " + v.nodes.map((n) => n.target.join(" ")).join(", ")));
  check(outside.length === 0, "requests outside the server: " + outside.join(", "));
  check(consoleErrors.length === 0, "console errors: " + consoleErrors.join(" | "));

  console.log(JSON.stringify({ verdict, score, points, overlays, axe_violations: axe.violations.map((v) => v.id + ":" + v.impact), failures }));
} finally {
  await browser.close();
}
process.exit(failures.length === 0 ? 0 : 1);
