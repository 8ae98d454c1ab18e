// Corpus analytics and the wiring page in headless Chromium. Analytics: every chart renders,
// its table equals the API's, every number the API gives for a chart is printed in the chart
// (its SVG's text) and in its table, the CSV download equals the table, a chosen set of
// lessons narrows the figures, and a DL-user sees only their own lessons and no wiring page.
// Wiring: the page shows the API's checks; a failed job is retried and a queued one canceled
// from it. Nothing fails on the way (no console error, no failed request, no CSP violation),
// and axe-core finds no WCAG 2.1 A/AA violation on either page.
// Usage: node ui_corpus.mjs BASE_URL ADMIN ADMIN_PASSWORD USER USER_PASSWORD SCREENSHOT_DIR
import { readFileSync } from "node:fs";
import { accessibility, fail, launch, ppiLogin, watchCsp, watchProblems } from "./common.mjs";

const [base, admin, adminPassword, user, userPassword, shots] = process.argv.slice(2);

const apiGet = (page, path) => page.evaluate(async (p) => {
  const s = JSON.parse(sessionStorage.getItem("ppi.session"));
  const r = await fetch(p, { headers: { Authorization: `Bearer ${s.access_token}` } });
  return { status: r.status, body: await r.json() };
}, path);

const k3 = (v) => (v == null ? "" : v.toFixed(3));
const pct = (v) => `${(100 * v).toFixed(1)}%`;

// The numbers the API gives for each chart, formatted as charts and tables print them.
function expectedNumbers(f) {
  return {
    patterns: f.patterns.flatMap((p) => [String(p.intervals), String(p.flagged_intervals)]),
    kappa: f.kappa.bins.filter((b) => b.tasks > 0).map((b) => String(b.tasks)).concat(f.kappa.gate == null ? [] : [`gate ${k3(f.kappa.gate)}`]),
    matrix: f.matrix.pairs.filter((p) => p.tasks > 0).map((p) => k3(p.cells.pooled && p.cells.pooled.kappa)).filter((x) => x),
    talk: f.talk.flatMap((t) => [pct(t.teacher_share), pct(t.student_share)]),
    questions: f.talk.flatMap((t) => [String(t.questions), String(t.open_questions)]),
    machine: f.machine.flatMap((b) => [k3(b.kappa), k3(b.f1)]).filter((x) => x),
  };
}

async function openAnalytics(page) {
  await page.click("[data-testid=nav-analytics]");
  await page.waitForSelector("[data-testid=analytics-charts][data-ready=true]");
}

// Checks every chart against the API's figures for `query`; returns them.
async function checkCharts(page, who, query) {
  const { status, body: api } = await apiGet(page, `/api/analytics${query}`);
  if (status !== 200) fail(`${who}: /api/analytics${query} answered ${status}`);
  const want = expectedNumbers(api.figures);
  for (const [i, chart] of api.charts.entries()) {
    const name = chart.name;
    const fig = `[data-testid=chart-${name}]`;
    const alt = await page.getAttribute(`${fig} img`, "alt");
    if (alt !== api.tables[i].caption) fail(`${who}: chart ${name} is labelled ${alt}`);
    // The picture is drawn, and the SVG it was made from (the page's CSP keeps fetch off
    // blob: URLs, so it is asked for again) is parsed as the browser parses it.
    const drawn = await page.$eval(`${fig} img`, (img) => img.complete && img.naturalWidth > 0 && img.src.startsWith("blob:"));
    if (!drawn) fail(`${who}: chart ${name} is not drawn`);
    const texts = await page.evaluate(async (url) => {
      const s = JSON.parse(sessionStorage.getItem("ppi.session"));
      const svg = await (await fetch(url, { headers: { Authorization: `Bearer ${s.access_token}` } })).text();
      const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
      return [...doc.querySelectorAll("text")].map((t) => t.textContent.trim());
    }, chart.svg);
    const rows = await page.$$eval(`[data-testid=table-${name}] tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    const apiRows = api.tables[i].rows;
    if (apiRows.length && JSON.stringify(rows) !== JSON.stringify(apiRows)) fail(`${who}: table ${name} shows ${JSON.stringify(rows).slice(0, 300)}, the API ${JSON.stringify(apiRows).slice(0, 300)}`);
    const cells = new Set(rows.flat());
    for (const n of want[name]) {
      if (!texts.includes(n)) fail(`${who}: chart ${name} does not print ${n} (its text: ${texts.slice(0, 40).join(" | ")})`);
      if (!n.startsWith("gate") && name !== "kappa" && !cells.has(n)) fail(`${who}: table ${name} has no cell ${n}`);
    }
    if (name === "kappa") {
      const tasks = rows.map((r) => r[2]);
      for (const b of api.figures.kappa.bins) if (!tasks.includes(String(b.tasks))) fail(`${who}: κ table lacks ${b.tasks}`);
    }
    // The CSV download is the table.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click(`[data-testid=csv-${name}]`)]);
    const csv = readFileSync(await download.path(), "utf8").trim().split("\n");
    if (csv[0] !== api.tables[i].columns.join(",")) fail(`${who}: ${name}.csv header ${csv[0]}`);
    if (csv.length - 1 !== apiRows.length) fail(`${who}: ${name}.csv has ${csv.length - 1} rows, the table ${apiRows.length}`);
    apiRows.forEach((r, j) => { if (csv[j + 1] !== r.join(",")) fail(`${who}: ${name}.csv row ${j}: ${csv[j + 1]} vs ${r.join(",")}`); });
  }
  return api;
}

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1500, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = watchProblems(page);
  const violations = await watchCsp(page);

  // The admin: the whole corpus, then two chosen lessons.
  await ppiLogin(page, base, admin, adminPassword);
  await openAnalytics(page);
  const all = await checkCharts(page, admin, "");
  await page.screenshot({ path: `${shots}/analytics.png`, fullPage: true });
  problems.push(...(await accessibility(page, "body")).map((v) => `analytics, accessibility: ${v}`));
  const ids = await page.$$eval("[data-testid=analytics-lessons] option", (o) => o.map((x) => x.value));
  const chosen = ids.slice(-4);
  await page.selectOption("[data-testid=analytics-lessons]", chosen);
  await page.click("[data-testid=analytics-apply]");
  await page.waitForFunction(() => document.querySelector("[data-testid=analytics-scope]").textContent.startsWith("Chosen"));
  await page.waitForSelector("[data-testid=analytics-charts][data-ready=true]");
  const some = await checkCharts(page, admin, `?lessons=${chosen.join(",")}`);
  if (some.figures.lessons !== chosen.length) fail(`chosen: ${some.figures.lessons} lessons`);
  await page.screenshot({ path: `${shots}/analytics-chosen.png`, fullPage: true });

  // The wiring page: what the API says, and a failed job retried, a queued one canceled.
  await page.click("[data-testid=nav-wiring]");
  await page.waitForSelector("[data-testid=wiring-webhook]");
  const { body: wiring } = await apiGet(page, "/api/wiring");
  const health = await page.$$eval("[data-testid=wiring-webhook]", (rows) => rows.map((r) => r.dataset.health));
  if (JSON.stringify(health) !== JSON.stringify(wiring.webhooks.map((w) => w.health))) fail(`webhook health ${health} vs ${wiring.webhooks.map((w) => w.health)}`);
  const counts = await page.$$eval("[data-testid=wiring-count]", (rows) => rows.map((r) => [r.dataset.kind, r.querySelector("[data-testid=count-failed]").textContent]));
  for (const c of wiring.jobs.counts.filter((c) => c.status === "failed")) {
    if (!counts.some(([k, n]) => k === c.kind && n === String(c.count))) fail(`failed count of ${c.kind}: ${JSON.stringify(counts)}`);
  }
  const failedJob = wiring.jobs.failed[0];
  const queuedJob = wiring.jobs.active.find((j) => j.status === "queued");
  if (!failedJob || !queuedJob) fail(`the seeded failed and queued jobs are not listed: ${JSON.stringify(wiring.jobs).slice(0, 300)}`);
  const error = await page.textContent(`[data-testid=wiring-failed-job][data-job="${failedJob.id}"] [data-testid=wiring-error]`);
  if (!error.startsWith(failedJob.error_code)) fail(`failed job shows ${error}`);
  await page.screenshot({ path: `${shots}/wiring.png`, fullPage: true });
  problems.push(...(await accessibility(page, "body")).map((v) => `wiring, accessibility: ${v}`));
  await page.click(`[data-testid=wiring-failed-job][data-job="${failedJob.id}"] [data-testid=job-retry]`);
  await page.waitForFunction(() => document.querySelector("[data-testid=wiring-checked]").textContent.startsWith("Retry"));
  await page.focus(`[data-testid=wiring-active-job][data-job="${queuedJob.id}"] [data-testid=job-cancel]`);
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("[data-testid=wiring-checked]").textContent.startsWith("Cancel"));
  const { body: jobs } = await apiGet(page, "/api/jobs?limit=1000");
  const retried = jobs.jobs.find((j) => j.idempotency_key.endsWith(`#retry-of-${failedJob.id}`));
  if (!retried) fail("the retry queued no job");
  const canceled = jobs.jobs.find((j) => j.id === queuedJob.id);
  if (canceled.status !== "canceled") fail(`the canceled job is ${canceled.status}`);
  await page.click("[data-testid=wiring-check]");
  await page.waitForFunction(() => document.querySelector("[data-testid=wiring-checked]").textContent.startsWith("Checked"));

  // A DL-user: their own lessons only, and no wiring page.
  await page.click("#logout");
  await ppiLogin(page, base, user, userPassword);
  if (await page.isVisible("[data-testid=nav-wiring]")) fail("a DL-user is offered the wiring page");
  await openAnalytics(page);
  const mine = await checkCharts(page, user, "");
  const offered = await page.$$eval("[data-testid=analytics-lessons] option", (o) => o.length);
  if (offered !== mine.figures.lessons || mine.figures.lessons >= all.figures.lessons) fail(`DL-user: ${offered} offered, ${mine.figures.lessons} of ${all.figures.lessons}`);
  await page.screenshot({ path: `${shots}/analytics-teacher.png`, fullPage: true });

  const reported = await violations();
  if (reported.length) problems.push(...reported.map((v) => `CSP: ${v}`));
  if (problems.length) fail(problems.join("\n"));
  console.log(`OK lessons=${all.figures.lessons} tasks=${all.figures.tasks} chosen=${some.figures.lessons} own=${mine.figures.lessons}`);
} finally {
  await browser.close();
}
