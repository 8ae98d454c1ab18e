// The pipeline board in headless Chromium: every row and cell equals what GET /api/board
// answers, the stage filter and paging work from the keyboard, a DL-user sees only their own
// rows, and nothing fails on the way (no console error, no failed request, no CSP violation).
// Usage: node ui_board.mjs BASE_URL ADMIN ADMIN_PASSWORD USER USER_PASSWORD SCREENSHOT_DIR
import { accessibility, fail, launch, ppiLogin, watchCsp, watchProblems } from "./common.mjs";

const [base, admin, adminPassword, user, userPassword, shots] = process.argv.slice(2);

// Opens the board as `name` and checks it against the API; returns the API's answer.
async function check(page, name, password, shot) {
  await ppiLogin(page, base, name, password);
  const t0 = Date.now();
  await page.click("[data-testid=nav-board]");
  await page.waitForFunction(() => document.querySelector("[data-testid=board-caption]").textContent.length > 0);
  const interactive = Date.now() - t0;
  const api = await page.evaluate(async () => {
    const s = JSON.parse(sessionStorage.getItem("ppi.session"));
    const r = await fetch("/api/board?offset=0&limit=50", { headers: { Authorization: `Bearer ${s.access_token}` } });
    return r.json();
  });
  const shown = await page.$$eval("[data-testid=board-row]", (rows) => rows.map((r) => ({
    id: r.dataset.lessonId,
    stage: r.dataset.stage,
    cells: [...r.querySelectorAll("td")].map((td) => td.textContent),
  })));
  if (shown.length !== api.rows.length) fail(`${name}: ${shown.length} rows shown, the API has ${api.rows.length}`);
  api.rows.forEach((row, i) => {
    const s = shown[i];
    if (s.id !== row.id || s.stage !== row.stage) fail(`${name}: row ${i} is ${s.id}/${s.stage}, the API's ${row.id}/${row.stage}`);
    const [title, owner, , transcribed, task, annotations, agreement, review, , , stage] = s.cells;
    const want = [
      [title, row.title], [owner, row.owner], [stage, row.stage],
      [annotations, row.task_id == null ? "–" : `${row.annotations} / ${row.planned}`],
      [review, row.approved + row.rejected + row.pending === 0 ? "–" : `${row.approved} approved, ${row.rejected} rejected, ${row.pending} pending`],
      [task, row.task_id == null ? "–" : `task ${row.task_id}`],
      [transcribed, row.transcribed ? `${row.language}, ${row.speakers} speakers` : "–"],
      [agreement, row.passed == null ? "–" : `κ ${row.kappa.toFixed(2)}, ${row.passed ? "passed" : "flagged"}`],
    ];
    for (const [got, expected] of want) if (got !== String(expected)) fail(`${name}: row ${i} shows ${JSON.stringify(got)}, the API ${JSON.stringify(expected)}`);
  });
  const caption = await page.textContent("[data-testid=board-caption]");
  if (!caption.includes(`of ${api.total}`)) fail(`${name}: caption ${caption}, total ${api.total}`);
  await page.screenshot({ path: `${shots}/${shot}`, fullPage: true });
  return { api, interactive };
}

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const problems = watchProblems(page);
  const violations = await watchCsp(page);

  const { api, interactive } = await check(page, admin, adminPassword, "board.png");
  problems.push(...(await accessibility(page, "body")).map((v) => `board, accessibility: ${v}`));
  // Every stage is offered with its count, and choosing one (from the keyboard) filters.
  const options = await page.$$eval("[data-testid=board-stage] option", (o) => o.map((x) => x.textContent));
  for (const s of api.stages) if (!options.includes(`${s.stage} (${s.count})`)) fail(`stage option ${s.stage} (${s.count}) missing: ${options}`);
  await page.focus("[data-testid=board-stage]");
  await page.selectOption("[data-testid=board-stage]", "published");
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=board-row]")].every((r) => r.dataset.stage === "published")
    && document.querySelectorAll("[data-testid=board-row]").length > 0);
  const published = await page.$$eval("[data-testid=board-published]", (c) => c.map((x) => x.textContent));
  if (!published.every((p) => api.dataset.revision.startsWith(p))) fail(`published cells ${published}`);
  // An admin opens a row's agreement report from the board.
  await page.click("[data-testid=board-agreement] a");
  await page.waitForSelector("[data-testid=board-report]", { state: "visible" });
  const report = JSON.parse(await page.textContent("[data-testid=board-report-body]"));
  if (report.passed !== true) fail(`report ${JSON.stringify(report).slice(0, 200)}`);
  await page.screenshot({ path: `${shots}/board-published.png`, fullPage: true });

  // A DL-user: only their own rows, and no owner filter.
  await page.click("#logout");
  const mine = await check(page, user, userPassword, "board-teacher.png");
  if (mine.api.rows.some((r) => r.owner !== user)) fail("a DL-user sees others' lessons");
  if (await page.isVisible("[data-testid=board-owner]")) fail("a DL-user is offered the owner filter");
  if (await page.$("[data-testid=board-agreement] a")) fail("a DL-user is offered the agreement report, which is for admins");

  const reported = await violations();
  if (reported.length) problems.push(...reported.map((v) => `CSP: ${v}`));
  if (problems.length) fail(problems.join("\n"));
  console.log(`OK rows=${api.rows.length} total=${api.total} interactive=${interactive}ms own=${mine.api.total}`);
} finally {
  await browser.close();
}
