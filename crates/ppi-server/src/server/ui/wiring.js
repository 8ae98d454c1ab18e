// The wiring page (#/wiring, admins): Label Studio, its projects and webhooks, the storage, the
// Hub and the job queue, as GET /api/wiring reports them; "Check again" re-runs serve's wiring
// pass (POST /api/wiring/check); failed jobs can be retried, queued and running ones canceled.
// Uses app.js's helpers ($, api, cell, link).
"use strict";

const when = (t) => (t == null ? "never" : new Date(t).toLocaleString());
const yesNo = (v) => (v == null ? "unknown" : v ? "yes" : "no");

function facts(dl, pairs) {
  dl.replaceChildren();
  for (const [k, v, testid] of pairs) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    if (v instanceof Node) dd.appendChild(v); else dd.textContent = v;
    if (testid) dd.dataset.testid = testid;
    dl.append(dt, dd);
  }
}

function noneRow(body, span, text) {
  const td = body.appendChild(document.createElement("tr")).appendChild(document.createElement("td"));
  td.colSpan = span;
  td.textContent = text;
}

function jobButton(label, path, job) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.testid = `job-${label.toLowerCase()}`;
  b.dataset.job = job.id;
  b.setAttribute("aria-label", `${label} ${job.kind} job ${job.id}`);
  b.addEventListener("click", async () => {
    b.disabled = true;
    let said;
    try {
      await api(path, { method: "POST" });
      said = `${label}: ${job.kind} job ${job.id} done.`;
    } catch (e) {
      said = `${label} failed: ${e.message}`;
    }
    // Said once the tables show the new state (the button itself is gone by then).
    await loadWiring().catch(() => {});
    $("wiring-checked").textContent = said;
  });
  return b;
}

function renderWiring(s) {
  const ls = s.label_studio;
  const w = ls.wiring;
  const wiring = w.status === "failed" ? `failed (${w.code}): ${w.message}; ` +
      (w.retry_in_secs ? `retried in ${w.retry_in_secs} s` : "press Check again once it is mended")
    : w.status === "off" ? `off: ${w.reason}` : w.status;
  facts($("wiring-ls"), [
    ["URL", ls.url ? link(ls.url, ls.url) : "not configured", "wiring-ls-url"],
    ["Answers", ls.reachable ? "yes" : `no${ls.error ? `: ${ls.error}` : ""}`, "wiring-ls-reachable"],
    ["Version", ls.version || "unknown", "wiring-ls-version"],
    ["PPI's ML backend URL", s.ml_url],
    ["Wiring", wiring, "wiring-ls-state"],
  ]);
  $("wiring-report").textContent = w.report ? w.report.join("\n") : "";
  const projects = $("wiring-projects");
  projects.replaceChildren();
  for (const p of s.projects) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "wiring-project";
    cell(tr, String(p.id)); cell(tr, p.role); cell(tr, p.title || "–");
    cell(tr, p.tasks == null ? "–" : String(p.tasks));
    cell(tr, p.role === "annotation" ? yesNo(p.ml_backend) : "not needed", "wiring-ml-backend");
    projects.appendChild(tr);
  }
  const hooks = $("wiring-webhooks");
  hooks.replaceChildren();
  for (const h of s.webhooks) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "wiring-webhook";
    tr.dataset.project = h.project;
    tr.dataset.health = h.health;
    cell(tr, `${h.project} (${h.role})`); cell(tr, h.url);
    cell(tr, h.registered == null ? "unknown" : h.registered ? (h.active === false ? "registered, off" : "registered") : "missing");
    const d = h.last_delivery;
    cell(tr, d ? `${when(d.received_at)} (${d.action})` : "none yet", "wiring-last-delivery");
    cell(tr, d ? `${d.outcome}${d.detail ? `: ${d.detail}` : ""}` : "–");
    const health = document.createElement("span");
    health.className = `health health-${h.health}`;
    health.textContent = `${h.health}: ${h.why}`;
    cell(tr, health, "wiring-health");
    hooks.appendChild(tr);
  }
  facts($("wiring-storage"), [
    ["Backend", s.storage.backend],
    ["Answers", s.storage.ok ? "yes" : `no: ${s.storage.error}`, "wiring-storage-ok"],
    ["CORS", s.storage.cors || (w.status === "off" ? "not checked: the wiring is off" : "unknown: the last wiring pass did not complete"), "wiring-cors"],
  ]);
  const hub = s.hub;
  facts($("wiring-hub"), [
    ["Repository", hub.repo || "not configured (HF_USERNAME, HF_DATASET_NAME)", "wiring-hub-repo"],
    ["Token", hub.token ? "set" : "not set"],
    ["Publishes after each assembly", hub.auto_publish ? (hub.repo && hub.token ? "yes" : "yes, once the repository and token are set") : "no"],
    ["Last publication", hub.published_at == null ? "never" :
      `${when(hub.published_at)} to ${hub.published_repo || "?"}${hub.revision ? `, revision ${hub.revision}` : ""}`, "wiring-hub-last"],
  ]);
  const states = ["queued", "running", "succeeded", "failed", "canceled"];
  const kinds = [...new Set(s.jobs.counts.map((c) => c.kind))].sort();
  const head = document.createElement("tr");
  for (const h of ["kind", ...states]) { const th = document.createElement("th"); th.scope = "col"; th.textContent = h; head.appendChild(th); }
  $("wiring-counts-head").replaceChildren(head);
  const counts = $("wiring-counts");
  counts.replaceChildren();
  for (const k of kinds) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "wiring-count";
    tr.dataset.kind = k;
    cell(tr, k);
    for (const st of states) {
      const c = s.jobs.counts.find((x) => x.kind === k && x.status === st);
      cell(tr, String(c ? c.count : 0), `count-${st}`);
    }
    counts.appendChild(tr);
  }
  const failed = $("wiring-failed");
  failed.replaceChildren();
  for (const j of s.jobs.failed) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "wiring-failed-job";
    tr.dataset.job = j.id;
    cell(tr, j.id); cell(tr, j.kind);
    cell(tr, `${j.error_code || "?"}: ${j.error_message || ""}`, "wiring-error");
    cell(tr, when(j.finished_at));
    cell(tr, jobButton("Retry", `/api/jobs/${j.id}/retry`, j));
    failed.appendChild(tr);
  }
  if (!s.jobs.failed.length) noneRow(failed, 5, "No failed jobs.");
  const active = $("wiring-active");
  active.replaceChildren();
  for (const j of s.jobs.active) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "wiring-active-job";
    tr.dataset.job = j.id;
    cell(tr, j.id); cell(tr, j.kind); cell(tr, j.status); cell(tr, when(j.started_at || j.created_at));
    cell(tr, jobButton("Cancel", `/api/jobs/${j.id}/cancel`, j));
    active.appendChild(tr);
  }
  if (!s.jobs.active.length) noneRow(active, 5, "Nothing queued or running.");
  $("wiring-view").dataset.checkedAt = s.checked_at;
}

async function loadWiring() {
  renderWiring(await api("/api/wiring"));
}

$("wiring-check").addEventListener("click", async () => {
  const b = $("wiring-check");
  b.disabled = true;
  $("wiring-checked").textContent = "checking…";
  try {
    const s = await api("/api/wiring/check", { method: "POST" });
    renderWiring(s);
    $("wiring-checked").textContent = `Checked at ${when(s.checked_at)}.`;
  } catch (e) {
    $("wiring-checked").textContent = `Check failed: ${e.message}`;
  } finally {
    b.disabled = false;
  }
});
