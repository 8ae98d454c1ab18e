// Corpus analytics (#/analytics): each chart is an SVG the server draws (plotters), shown as an
// image, with its table beside it and the table as a CSV download; for the whole corpus or the
// lessons chosen in the list. Uses app.js's helpers ($, api, session, showSvg).
"use strict";

// The API's bytes for a path that answers something other than JSON (an SVG, a CSV).
async function apiBlob(path, retry = true) {
  const r = await fetch(path, { headers: { Authorization: `Bearer ${session.access_token}` } });
  if (r.status === 401 && retry && (await refreshSession())) return apiBlob(path, false);
  if (!r.ok) {
    let message = r.statusText;
    try { message = (await r.json()).message; } catch (_) {}
    throw new Error(message);
  }
  return r.blob();
}

const corpusState = { chosen: [] };

function corpusQuery() {
  return corpusState.chosen.length ? `?lessons=${corpusState.chosen.join(",")}` : "";
}

async function loadCorpusLessons() {
  const sel = $("analytics-lessons");
  const { lessons } = await api("/api/lessons");
  sel.replaceChildren();
  for (const l of lessons) {
    const o = new Option(`${l.title} (${l.owner})`, l.id);
    o.selected = corpusState.chosen.includes(l.id);
    sel.appendChild(o);
  }
}

function corpusTable(t) {
  const table = document.createElement("table");
  table.dataset.testid = `table-${t.name}`;
  const cap = document.createElement("caption");
  cap.textContent = `Table: ${t.caption}`;
  table.appendChild(cap);
  const head = document.createElement("tr");
  for (const c of t.columns) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = c.replaceAll("_", " ");
    head.appendChild(th);
  }
  table.appendChild(document.createElement("thead")).appendChild(head);
  const body = table.appendChild(document.createElement("tbody"));
  for (const row of t.rows) {
    const tr = document.createElement("tr");
    for (const v of row) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  if (!t.rows.length) {
    const tr = body.appendChild(document.createElement("tr"));
    const td = tr.appendChild(document.createElement("td"));
    td.colSpan = t.columns.length;
    td.textContent = "No figures yet.";
  }
  return table;
}

async function downloadCsv(url, name) {
  const blob = await apiBlob(url);
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `ppi-${name}.csv`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

async function loadCorpus() {
  await loadCorpusLessons();
  const d = await api(`/api/analytics${corpusQuery()}`);
  const f = d.figures;
  $("analytics-scope").textContent = `${corpusState.chosen.length ? "Chosen lessons" : "Whole corpus"}: ` +
    `${f.lessons} lesson(s), ${f.tasks} task(s) with an agreement report.`;
  const box = $("analytics-charts");
  box.replaceChildren();
  const pictures = [];
  d.charts.forEach((c, i) => {
    const t = d.tables[i];
    const fig = document.createElement("figure");
    fig.className = "chart";
    fig.dataset.testid = `chart-${c.name}`;
    fig.setAttribute("aria-labelledby", `chart-${c.name}-title`);
    const h = document.createElement("h3");
    h.id = `chart-${c.name}-title`;
    h.textContent = t.caption;
    const row = document.createElement("div");
    row.className = "chart-row";
    const picture = document.createElement("div");
    picture.id = `chart-${c.name}-picture`;
    picture.className = "chart-picture";
    const side = document.createElement("div");
    side.className = "table-scroll";
    side.appendChild(corpusTable(t));
    const csv = document.createElement("button");
    csv.type = "button";
    csv.textContent = `Download CSV (${c.name})`;
    csv.dataset.testid = `csv-${c.name}`;
    csv.addEventListener("click", () => downloadCsv(c.csv, c.name).catch((e) => ($("analytics-scope").textContent = e.message)));
    side.appendChild(csv);
    row.append(picture, side);
    fig.append(h, row);
    box.appendChild(fig);
    pictures.push(apiBlob(c.svg).then((b) => b.text()).then((svg) => showSvg(picture, svg, t.caption)));
  });
  await Promise.all(pictures);
  box.dataset.ready = "true";
}

$("analytics-filter").addEventListener("submit", (ev) => {
  ev.preventDefault();
  corpusState.chosen = [...$("analytics-lessons").selectedOptions].map((o) => o.value);
  $("analytics-charts").dataset.ready = "false";
  loadCorpus().catch((e) => ($("analytics-scope").textContent = e.message));
});
$("analytics-all").addEventListener("click", () => {
  corpusState.chosen = [];
  $("analytics-charts").dataset.ready = "false";
  loadCorpus().catch((e) => ($("analytics-scope").textContent = e.message));
});
