// PPI web UI: login, upload with progress, lessons with job progress, lesson page, the
// pipeline board; corpus.js (analytics) and wiring.js (the wiring page) use its helpers.
"use strict";
const $ = (id) => document.getElementById(id);
const views = ["login-view", "lessons-view", "board-view", "analytics-view", "wiring-view", "lesson-view"];
let session = JSON.parse(sessionStorage.getItem("ppi.session") || "null");
let timer = null;

function show(view) {
  views.forEach((v) => ($(v).hidden = v !== view));
  $("nav").hidden = view === "login-view";
  if (session) $("whoami").textContent = `${session.user.username} (${session.user.role})`;
  $("nav-wiring").hidden = !session || session.user.role !== "admin";
  document.querySelectorAll("#nav a").forEach((a) => {
    if (a.getAttribute("href") === location.hash) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
}

function save(s) {
  session = s;
  if (s) sessionStorage.setItem("ppi.session", JSON.stringify(s));
  else sessionStorage.removeItem("ppi.session");
}

async function refreshSession() {
  if (!session) return false;
  const r = await fetch("/api/auth/refresh", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: session.refresh_token }),
  });
  if (!r.ok) { save(null); return false; }
  save(await r.json());
  return true;
}

// Calls the API with the access token, refreshing it once when it has expired.
async function api(path, opts = {}, retry = true) {
  const headers = Object.assign({}, opts.headers || {});
  if (session) headers.Authorization = `Bearer ${session.access_token}`;
  const r = await fetch(path, Object.assign({}, opts, { headers }));
  if (r.status === 401 && retry && (await refreshSession())) return api(path, opts, false);
  if (r.status === 401) { save(null); route(); throw new Error("please log in again"); }
  const body = r.headers.get("content-type")?.includes("json") ? await r.json() : null;
  if (!r.ok) throw new Error(body?.message || r.statusText);
  return body;
}

function progressText(job) {
  if (!job) return "";
  if (job.status === "running") {
    const eta = job.eta_seconds != null ? `, ${Math.ceil(job.eta_seconds)} s left` : "";
    return `${job.stage || "running"} ${Math.round(job.percent || 0)} %${eta}`;
  }
  if (job.status === "failed") return `failed: ${job.error_message || job.error_code}`;
  return job.status;
}

async function loadLessons() {
  const data = await api("/api/lessons");
  const body = $("lessons-body");
  body.textContent = "";
  let busy = false;
  for (const l of data.lessons) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "lesson-row";
    tr.dataset.lessonId = l.id;
    const a = document.createElement("a");
    a.href = `#/lesson/${l.id}`;
    a.textContent = l.title;
    const cells = [a, l.owner, l.status, progressText(l.job), new Date(l.created_at).toLocaleString()];
    cells.forEach((c, i) => {
      const td = document.createElement("td");
      if (c instanceof Node) td.appendChild(c); else td.textContent = c;
      if (i === 2) { td.className = `status-${l.status}`; td.dataset.testid = "lesson-row-status"; }
      tr.appendChild(td);
    });
    body.appendChild(tr);
    busy = busy || l.status === "processing" || l.status === "uploaded";
  }
  $("lessons-empty").hidden = data.lessons.length > 0;
  clearTimeout(timer);
  if (busy) timer = setTimeout(() => loadLessons().catch(() => {}), 1500);
}

async function loadLesson(id) {
  const d = await api(`/api/lessons/${id}`);
  $("lesson-title").textContent = d.lesson.title;
  $("lesson-status").textContent = d.lesson.status;
  $("lesson-status").className = `status-${d.lesson.status}`;
  $("lesson-job").textContent = d.job ? `(${progressText(d.job)})` : "";
  if (d.urls.video && $("lesson-url").value !== d.urls.video) {
    $("lesson-video").src = d.urls.video;
    $("lesson-url").value = d.urls.video;
  }
  if (d.urls.audio && !$("lesson-audio").src) $("lesson-audio").src = d.urls.audio;
  $("lesson-probe").textContent = d.probe ? JSON.stringify(d.probe, null, 2) : "";
  // Analytics exist once an annotation is accepted; asked for only then (no 404 to log).
  if (d.analytics && $("lesson-analytics").hidden) loadAnalytics(id);
  clearTimeout(timer);
  if (d.lesson.status === "processing" || d.lesson.status === "uploaded") timer = setTimeout(() => loadLesson(id).catch(() => {}), 1500);
}

const mmss = (t) => { t = Math.max(0, Math.round(t)); return `${String(Math.floor(t / 60)).padStart(2, "0")}:${String(t % 60).padStart(2, "0")}`; };

// Server-made pictures are shown as images, never inserted as markup: whatever text from the
// patterns sheet or the annotations they carry, nothing in an <img> runs.
const pictureUrls = new Map();
function showSvg(box, svg, alt) {
  if (pictureUrls.has(box.id)) URL.revokeObjectURL(pictureUrls.get(box.id));
  const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  pictureUrls.set(box.id, url);
  const img = document.createElement("img");
  img.alt = alt;
  img.src = url;
  box.replaceChildren(img);
}

// The lesson's analytics, once it has an accepted annotation.
async function loadAnalytics(id) {
  const box = $("lesson-analytics");
  let a;
  try { a = await api(`/api/lessons/${id}/analytics`); } catch (_) { box.hidden = true; return; }
  box.hidden = false;
  showSvg($("analytics-timeline"), a.timeline_svg, "The lesson's patterns over time, one lane per pattern");
  showSvg($("analytics-heatmap"), a.heatmap_svg, "Coverage of each pattern per 2-minute bin");
  const body = $("analytics-table");
  body.textContent = "";
  for (const l of a.summary.labels) {
    const tr = document.createElement("tr");
    for (const c of [l.label, l.count, mmss(l.total_s), l.median_s == null ? "–" : mmss(l.median_s),
                     (100 * l.share).toFixed(1), l.first_s == null ? "–" : mmss(l.first_s)]) {
      const td = document.createElement("td"); td.textContent = c; tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  const t = a.summary.talk;
  $("analytics-talk").textContent = t ? `Talk time: speech ${mmss(t.speech_s)} (${Math.round(100 * t.speech_share)} %), silence ${mmss(t.silence_s)}` +
    (t.speakers.length ? `; ${t.speakers.map(([n, , s]) => `${n} ${Math.round(100 * s)} %`).join(", ")}` : "") : "";
  const secs = (v) => (v == null ? "–" : `${v.toFixed(1)} s`);
  const act = a.summary.activity;
  $("analytics-activity").textContent = act ? `Teacher questions: ${act.questions} (${act.open} open, ${act.closed} closed), ` +
    `${act.questions_per_hour.toFixed(1)} per hour; wait after a question (WT1) median ${secs(act.wt1_median_s)}` +
    (act.wt1_at_target == null ? "" : `, ${Math.round(100 * act.wt1_at_target)} % at 3 s or more`) +
    `. Activity per 2 minutes: ${act.bins.join(", ") || "–"}.` : "";
  const kappa = (v) => (v == null ? "undefined" : v.toFixed(2));
  const m = a.summary.machine;
  $("analytics-machine").textContent = m && m.machines.length ? `PPI's draft against the annotators' consensus: ` +
    m.machines.map((v) => `${v.model_version} κ ${kappa(v.cells.pooled && v.cells.pooled.kappa)}, F1 ${kappa(v.f1)}`).join("; ") +
    ` (the annotators between themselves: κ ${kappa(m.humans.cells.pooled && m.humans.cells.pooled.kappa)}).` : "";
}

// The pipeline board: one row per lesson, from upload to the Hub, filtered and paged by the
// server (GET /api/board).
const board = { offset: 0, limit: 50 };
const cell = (tr, content, testid) => {
  const td = document.createElement("td");
  if (content instanceof Node) td.appendChild(content); else td.textContent = content;
  if (testid) td.dataset.testid = testid;
  tr.appendChild(td);
};
const link = (href, text) => { const a = document.createElement("a"); a.href = href; a.textContent = text; return a; };

async function loadBoard() {
  const f = new URLSearchParams({ offset: board.offset, limit: board.limit });
  if ($("board-stage").value) f.set("stage", $("board-stage").value);
  if ($("board-owner").value) f.set("owner", $("board-owner").value);
  const d = await api(`/api/board?${f}`);
  const keep = (sel, options, label) => {
    const want = sel.value;
    sel.replaceChildren(new Option(label, ""));
    for (const [value, text] of options) sel.appendChild(new Option(text, value));
    sel.value = want;
  };
  keep($("board-stage"), d.stages.map((s) => [s.stage, `${s.stage} (${s.count})`]), "every stage");
  keep($("board-owner"), d.owners.map((o) => [o, o]), "everyone");
  $("board-owner-label").hidden = session.user.role !== "admin";
  const ds = d.dataset;
  const when = (t) => (t == null ? "never" : new Date(t).toLocaleString());
  $("board-dataset").textContent = `Dataset: last assembled ${when(ds.assembled_at)}; last published ${when(ds.published_at)}` +
    (ds.repo ? ` to ${ds.repo}` : "") + (ds.revision ? ` (revision ${ds.revision.slice(0, 10)})` : "") + ".";
  const body = $("board-body");
  body.textContent = "";
  for (const r of d.rows) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "board-row";
    tr.dataset.lessonId = r.id;
    tr.dataset.stage = r.stage;
    cell(tr, link(r.links.lesson, r.title));
    cell(tr, r.owner);
    cell(tr, new Date(r.uploaded_at).toLocaleDateString());
    cell(tr, r.transcribed ? `${r.language || "?"}, ${r.speakers == null ? "?" : r.speakers} speakers` : "–", "board-transcribed");
    cell(tr, r.task_id == null ? "–" : (r.links.ls_task ? link(r.links.ls_task, `task ${r.task_id}`) : `task ${r.task_id}`), "board-task");
    cell(tr, r.task_id == null ? "–" : `${r.annotations} / ${r.planned == null ? "?" : r.planned}`, "board-annotations");
    const verdict = `κ ${r.kappa == null ? "undefined" : r.kappa.toFixed(2)}, ${r.passed ? "passed" : "flagged"}`;
    let agreement = r.passed == null ? "–" : verdict;
    if (r.links.agreement) {
      agreement = link(r.links.agreement, verdict);
      agreement.dataset.report = r.task_id;
    }
    cell(tr, agreement, "board-agreement");
    cell(tr, r.approved + r.rejected + r.pending === 0 ? "–" : `${r.approved} approved, ${r.rejected} rejected, ${r.pending} pending`, "board-review");
    const inDataset = r.stage === "in-dataset" || r.stage === "published";
    cell(tr, inDataset ? `${r.approved} clips` : "–", "board-dataset-cell");
    cell(tr, r.stage === "published" && ds.revision ? ds.revision.slice(0, 10) : (r.stage === "published" ? "yes" : "–"), "board-published");
    cell(tr, r.stage, "board-stage-cell");
    body.appendChild(tr);
  }
  const last = Math.min(d.offset + d.rows.length, d.total);
  $("board-caption").textContent = d.total ? `Lessons ${d.offset + 1}–${last} of ${d.total}` : "No lessons at this stage.";
  $("board-report").hidden = true;
  $("board-prev").disabled = d.offset === 0;
  $("board-next").disabled = last >= d.total;
}

function route() {
  clearTimeout(timer);
  if (!session) return show("login-view");
  const m = location.hash.match(/^#\/lesson\/([0-9a-z]{26})$/);
  if (location.hash === "#/analytics") {
    show("analytics-view");
    loadCorpus().catch((e) => ($("analytics-scope").textContent = e.message));
  } else if (location.hash === "#/wiring") {
    show("wiring-view");
    loadWiring().catch((e) => ($("wiring-checked").textContent = e.message));
  } else if (location.hash === "#/board") {
    show("board-view");
    loadBoard().catch((e) => ($("board-caption").textContent = e.message));
  } else if (m) {
    $("lesson-video").removeAttribute("src"); $("lesson-audio").removeAttribute("src"); $("lesson-url").value = "";
    show("lesson-view");
    $("lesson-analytics").hidden = true;
    loadLesson(m[1]).catch((e) => ($("lesson-job").textContent = e.message));
  } else {
    show("lessons-view");
    loadLessons().catch((e) => ($("upload-status").textContent = e.message));
  }
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  $("login-error").textContent = "";
  const r = await fetch("/api/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: f.get("username"), password: f.get("password") }),
  });
  const body = await r.json();
  if (!r.ok) { $("login-error").textContent = body.message; return; }
  save(body);
  location.hash = "#/lessons";
  route();
});

// An agreement report opens below the board (the API needs the token, so not as a page).
$("board-body").addEventListener("click", async (ev) => {
  const a = ev.target.closest("a[data-report]");
  if (!a) return;
  ev.preventDefault();
  const box = $("board-report");
  try {
    const report = await api(a.getAttribute("href"));
    $("board-report-title").textContent = `Agreement report, task ${a.dataset.report}`;
    $("board-report-body").textContent = JSON.stringify(report, null, 2);
    box.hidden = false;
    box.open = true;
    box.scrollIntoView();
  } catch (e) {
    $("board-caption").textContent = e.message;
  }
});
$("board-stage").addEventListener("change", () => { board.offset = 0; loadBoard().catch(() => {}); });
$("board-owner").addEventListener("change", () => { board.offset = 0; loadBoard().catch(() => {}); });
$("board-prev").addEventListener("click", () => { board.offset = Math.max(0, board.offset - board.limit); loadBoard().catch(() => {}); });
$("board-next").addEventListener("click", () => { board.offset += board.limit; loadBoard().catch(() => {}); });

$("logout").addEventListener("click", () => { save(null); location.hash = ""; route(); });

// The upload line follows the lesson's real state until it is ready (or failed).
let uploadTimer = null;
async function followUpload(id, duplicate) {
  clearTimeout(uploadTimer);
  try {
    const d = await api(`/api/lessons/${id}`);
    const job = d.job && d.lesson.status !== "ready" ? ` (${progressText(d.job)})` : "";
    const what = d.lesson.status === "failed" ? `failed: ${d.lesson.error || "see the lesson"}` : d.lesson.status;
    $("upload-status").textContent = `${duplicate ? "already uploaded" : "uploaded"}: ${what}${job}`;
    if (d.lesson.status !== "ready" && d.lesson.status !== "failed") uploadTimer = setTimeout(() => followUpload(id, duplicate), 1000);
  } catch (e) {
    $("upload-status").textContent = e.message;
  }
}

$("upload-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const data = new FormData();
  if (form.title.value) data.append("title", form.title.value);
  data.append("file", form.file.files[0]);
  const bar = $("upload-progress");
  bar.hidden = false; bar.value = 0;
  $("upload-status").textContent = "uploading…";
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/lessons");
  xhr.setRequestHeader("Authorization", `Bearer ${session.access_token}`);
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
  xhr.onload = () => {
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (_) {}
    if (xhr.status === 201 || xhr.status === 200) {
      bar.value = 100;
      $("upload-status").textContent = body.duplicate ? "already uploaded" : "uploaded";
      form.reset();
      loadLessons();
      if (body.lesson) followUpload(body.lesson.id, body.duplicate);
    } else if (xhr.status === 401) {
      refreshSession().then((ok) => ($("upload-status").textContent = ok ? "session renewed, upload again" : "please log in again"));
    } else {
      $("upload-status").textContent = `upload failed: ${body.message || xhr.statusText}`;
    }
  };
  xhr.onerror = () => ($("upload-status").textContent = "upload failed: network error");
  xhr.send(data);
});

$("copy-url").addEventListener("click", async () => {
  const url = $("lesson-url").value;
  try { await navigator.clipboard.writeText(url); $("lesson-copied").textContent = "copied"; }
  catch (_) { $("lesson-url").select(); document.execCommand("copy"); $("lesson-copied").textContent = "copied"; }
});

window.addEventListener("hashchange", route);
// After every script of the page has run (corpus.js and wiring.js come after this one).
document.addEventListener("DOMContentLoaded", route);
