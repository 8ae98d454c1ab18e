// Hostile text in PPI's web UI: a lesson titled with markup, and analytics whose pattern names
// and pictures carry script (served as the API would, through a route). Everything shows as
// text or as an image, no dialog opens, and the page reports no CSP violation.
// Usage: node ui_security.mjs BASE_URL USER PASSWORD LESSON_ID HOSTILE_TITLE SCREENSHOT
import { fail, launch, ppiLogin, watchCsp } from "./common.mjs";

const [base, user, password, lesson, title, shot] = process.argv.slice(2);
const hostile = "<script>alert(1)</script>";
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="60" onload="alert('svg onload')">` +
  `<script>alert('svg script')</script><rect width="400" height="60" fill="#cde"/>` +
  `<text x="10" y="35">${hostile.replace(/</g, "&lt;")}</text></svg>`;

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const dialogs = [];
  page.on("dialog", async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  page.on("pageerror", (e) => fail(`page error: ${e.message}`));
  const violations = await watchCsp(page);
  // The analytics answer carries hostile names and pictures with script in them.
  await page.route(`**/api/lessons/${lesson}/analytics`, (route) => route.fulfill({
    status: 200, contentType: "application/json",
    body: JSON.stringify({
      timeline_svg: svg, heatmap_svg: svg,
      summary: { labels: [{ label: hostile, count: 1, total_s: 10, median_s: 10, share: 0.5, first_s: 0 }],
                 talk: { speech_s: 10, silence_s: 10, speech_share: 0.5, speakers: [[`<b onmouseover=alert(2)>x</b>`, 10, 1]] } },
    }),
  }));
  // The lesson says it has analytics (the page asks for them only then).
  await page.route(`**/api/lessons/${lesson}`, async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    await route.fulfill({ response, json: { ...json, analytics: true } });
  });
  await ppiLogin(page, base, user, password);
  // The hostile title is text in the lessons table.
  await page.waitForFunction((t) => document.body.innerText.includes(t), title, { timeout: 30000 })
    .catch(() => fail(`the title is not shown as text: ${title}`));
  await page.goto(`${base}/#/lesson/${lesson}`);
  await page.waitForFunction(() => {
    const img = document.querySelector("[data-testid=analytics-timeline] img");
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 30000 }).catch(() => fail("the analytics picture did not load"));
  await page.waitForTimeout(1000);
  const seen = await page.evaluate(() => ({
    table: document.querySelector("[data-testid=analytics-table]").innerText,
    talk: document.querySelector("#analytics-talk").innerText,
    title: document.querySelector("[data-testid=lesson-title]").innerText,
    scripts: document.querySelectorAll("main script, main svg, main b").length,
  }));
  await page.screenshot({ path: shot, fullPage: true });
  if (dialogs.length) fail(`a dialog opened: ${dialogs.join("; ")}`);
  if (!seen.table.includes(hostile)) fail(`the pattern name is not text: ${seen.table}`);
  if (!seen.talk.includes("<b onmouseover=alert(2)>x</b>")) fail(`the speaker name is not text: ${seen.talk}`);
  if (seen.title !== title) fail(`the lesson title: ${seen.title}`);
  if (seen.scripts) fail(`markup from the server was inserted: ${seen.scripts} element(s)`);
  const csp = await violations();
  if (csp.length) fail(`CSP violations: ${csp.join("; ")}`);
  console.log("OK hostile text shown as text, no dialog, no CSP violation");
} finally {
  await browser.close();
}
