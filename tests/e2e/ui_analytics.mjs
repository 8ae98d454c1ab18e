// The lesson page of PPI's web UI shows the lesson's analytics: the timeline (a lane per
// pattern) and the heatmap as SVG pictures in <img> elements (never markup), and the
// per-pattern table.
// Usage: node ui_analytics.mjs BASE_URL USER PASSWORD LESSON_ID SCREENSHOT LABEL...
import { fail, launch, ppiLogin } from "./common.mjs";

const [base, user, password, lesson, shot, ...labels] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1200 } });
  page.on("pageerror", (e) => fail(`page error: ${e.message}`));
  await ppiLogin(page, base, user, password);
  await page.goto(`${base}/#/lesson/${lesson}`);
  await page.waitForFunction(() => {
    const img = document.querySelector("[data-testid=analytics-timeline] img");
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 30000 }).catch(() => fail("no analytics picture on the lesson page"));
  const seen = await page.evaluate(async (lesson) => {
    const timeline = document.querySelector("[data-testid=analytics-timeline] img");
    const heatmap = document.querySelector("[data-testid=analytics-heatmap] img");
    // The picture's SVG as the API gives it (the page may fetch only its own origin).
    const s = JSON.parse(sessionStorage.getItem("ppi.session"));
    const a = await (await fetch(`/api/lessons/${lesson}/analytics`,
      { headers: { Authorization: `Bearer ${s.access_token}` } })).json();
    const doc = new DOMParser().parseFromString(a.timeline_svg, "image/svg+xml");
    return {
      lanes: [...doc.querySelectorAll("text")].map((t) => t.textContent.trim()),
      heat: heatmap.complete && heatmap.naturalWidth > 0,
      rows: document.querySelectorAll("[data-testid=analytics-table] tr").length,
      width: timeline.getBoundingClientRect().width,
      svgInPage: document.querySelectorAll("#lesson-analytics svg").length,
      blob: timeline.src.startsWith("blob:"),
      activity: document.querySelector("[data-testid=analytics-activity]").textContent,
      machine: document.querySelector("[data-testid=analytics-machine]").textContent,
      summary: a.summary,
    };
  }, lesson);
  if (seen.svgInPage || !seen.blob) fail(`the pictures must be images, not markup: ${JSON.stringify(seen)}`);
  for (const l of labels) if (!seen.lanes.includes(l)) fail(`no lane ${l}: ${seen.lanes.join(", ")}`);
  if (!seen.heat || seen.rows !== labels.length || seen.width < 200) fail(JSON.stringify(seen));
  // What happens and the machine, when the API has them, in the page's words.
  if (seen.summary.activity && !seen.activity.startsWith(`Teacher questions: ${seen.summary.activity.questions} (`))
    fail(`activity: ${seen.activity}`);
  if (seen.summary.machine && !seen.machine.includes(seen.summary.machine.machines[0].model_version))
    fail(`machine: ${seen.machine}`);
  await page.locator("[data-testid=lesson-analytics]").scrollIntoViewIfNeeded();
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`OK lanes=${labels.length} rows=${seen.rows} width=${Math.round(seen.width)}`);
} finally {
  await browser.close();
}
