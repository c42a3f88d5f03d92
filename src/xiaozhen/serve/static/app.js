/* xiaozhen web app: region map, scenario form (from the Scenario JSON schema), jobs with progress,
 * runs, comparison, the programme office (grade a portfolio). Data from the JSON API only; text is inserted with textContent. The only markup
 * inserted as HTML is the SVG of charts made by the server. */
(function () {
  "use strict";
  var state = { map: null, counties: null, schema: null, runs: [], job: null, countyLayerName: null, monitor: null };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) { e.textContent = String(text); }
    return e;
  }

  function message(text, kind) {
    var box = el("div", { class: "message " + (kind || "error") });
    var close = el("button", { type: "button", "aria-label": "close" }, "×");
    close.onclick = function () { box.remove(); };
    box.appendChild(close);
    box.appendChild(document.createTextNode(text));
    $("messages").appendChild(box);
    if (kind === "info") { setTimeout(function () { box.remove(); }, 6000); }
  }

  async function api(path, options) {
    var r;
    try { r = await fetch(path, options); } catch (e) { throw new Error("the server cannot be reached: " + e.message); }
    var body = null;
    var type = r.headers.get("content-type") || "";
    if (type.indexOf("json") >= 0) { try { body = await r.json(); } catch (e) { body = null; } }
    if (!r.ok) {
      var detail = body && body.detail ? body.detail : r.status + " " + r.statusText;
      if (typeof detail !== "string") { detail = JSON.stringify(detail); }
      var err = new Error(detail);
      err.problems = body && body.problems ? body.problems : [];
      err.status = r.status;
      throw err;
    }
    return body;
  }

  function fmt(v) {
    if (v === null || v === undefined) { return "–"; }
    if (typeof v === "number") {
      if (!isFinite(v)) { return "–"; }
      if (Math.abs(v) >= 10000) { return v.toLocaleString("en", { maximumFractionDigits: 0 }); }
      return String(Number(v.toPrecision(4)));
    }
    if (typeof v === "object") { return JSON.stringify(v); }
    return String(v);
  }

  function table(headers, rows) {
    var t = el("table");
    var tr = el("tr");
    headers.forEach(function (h) { tr.appendChild(el("th", {}, h)); });
    t.appendChild(tr);
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (v) { row.appendChild(el("td", typeof v === "number" ? { class: "n" } : {}, fmt(v))); });
      t.appendChild(row);
    });
    return t;
  }

  /* ---------------------------------------------------------------- tabs */
  function showTab(id) {
    document.querySelectorAll(".tabs button").forEach(function (b) { b.classList.toggle("active", b.dataset.tab === id); });
    document.querySelectorAll(".tab").forEach(function (t) { t.classList.toggle("active", t.id === id); });
  }

  /* ---------------------------------------------------------------- map */
  async function initMap() {
    var layer = await api("/api/map/counties");
    state.countyLayerName = layer.name;
    state.map = xzMap.render($("map"), { layers: [layer] }, { onFeatureClick: onFeature });
    var attrs = await api("/api/map/attributes");
    var sel = $("attribute");
    attrs.forEach(function (a) { sel.appendChild(el("option", { value: a.name }, a.name)); });
    sel.value = attrs.some(function (a) { return a.name === "urbanisation_2020"; }) ? "urbanisation_2020" : attrs[0].name;
    sel.onchange = colourCounties;
    $("scheme").onchange = colourCounties;
    await colourCounties();
  }

  async function colourCounties() {
    var attribute = $("attribute").value;
    var scheme = $("scheme").value;
    try {
      var c = await api("/api/map/choropleth?attribute=" + encodeURIComponent(attribute) + "&scheme=" + scheme);
      var layer = state.map.overlays[state.countyLayerName];
      layer.setStyle(function (f) { return { fillColor: c.colours[f.id] || "#cccccc" }; });
      state.map.setLegend(state.countyLayerName, { title: attribute, entries: c.legend.map(function (e) { return [e.colour, e.label]; }) });
      document.body.dataset.attribute = attribute;
    } catch (e) { message("Map: " + e.message); }
  }

  async function onFeature(spec, feature) {
    if (state.monitor && spec.name === state.monitor.layer.name) { showTown(feature.id); return; }
    if (spec.name !== state.countyLayerName) { return; }
    try {
      var c = await api("/api/counties/" + encodeURIComponent(feature.id));
      var box = $("county");
      box.textContent = "";
      box.appendChild(el("h3", { id: "county-name" }, c.name + " · " + c.city + " (" + c.adcode + ")"));
      var rows = Object.keys(c.attributes).map(function (k) { return [k, c.attributes[k]]; });
      box.appendChild(table(["attribute", "value"], rows));
      showTab("tab-map");
    } catch (e) { message("County: " + e.message); }
  }

  /* ---------------------------------------------------------------- scenario form */
  function resolve(schema, node) {
    if (node && node.$ref) { return schema.$defs[node.$ref.split("/").pop()]; }
    if (node && node.allOf && node.allOf.length === 1) { return resolve(schema, node.allOf[0]); }
    return node;
  }

  function fieldInput(id, prop) {
    var wrap = el("div", { class: "field" });
    var types = prop.anyOf ? prop.anyOf.map(function (t) { return t.type; }) : [prop.type];
    var nullable = types.indexOf("null") >= 0;
    var type = types.filter(function (t) { return t !== "null"; })[0];
    var title = prop.title || id;
    var unit = prop.unit ? " [" + prop.unit + "]" : "";
    var input;
    if (type === "boolean") {
      wrap.classList.add("check");
      input = el("input", { type: "checkbox", id: id });
      input.checked = !!prop.default;
      wrap.appendChild(input);
      wrap.appendChild(el("label", { for: id }, " " + title));
    } else {
      wrap.appendChild(el("label", { for: id }, title + unit));
      if (prop.enum) {
        input = el("select", { id: id });
        prop.enum.forEach(function (v) { input.appendChild(el("option", { value: v }, v)); });
        input.value = prop.default;
      } else if (type === "integer" || type === "number") {
        input = el("input", { type: "number", id: id, step: type === "integer" ? "1" : "any" });
        ["minimum", "maximum"].forEach(function (k) { if (prop[k] !== undefined) { input.setAttribute(k === "minimum" ? "min" : "max", prop[k]); } });
        if (prop.exclusiveMinimum !== undefined) { input.setAttribute("min", prop.exclusiveMinimum); }
        input.value = prop.default === undefined || prop.default === null ? "" : prop.default;
      } else if (type === "object" || type === undefined || prop.$ref || prop.additionalProperties) {
        type = "json";
        input = el("textarea", { id: id, rows: "3", spellcheck: "false" });
        input.value = prop.default === undefined ? "" : JSON.stringify(prop.default);
      } else if (type === "array") {
        input = el("input", { type: "text", id: id, placeholder: nullable ? "default (leave empty)" : "comma-separated" });
        input.value = Array.isArray(prop.default) ? prop.default.join(", ") : "";
      } else {
        input = el("input", { type: "text", id: id });
        input.value = prop.default === undefined || prop.default === null ? "" : prop.default;
      }
      wrap.appendChild(input);
    }
    input.dataset.kind = type;
    var arrays = (prop.anyOf || [prop]).filter(function (t) { return t.type === "array" && t.items; });
    input.dataset.items = arrays.length ? (arrays[0].items.type || "") : "";
    input.dataset.default = JSON.stringify(prop.default === undefined ? null : prop.default);
    input.dataset.nullable = nullable ? "1" : "";
    if (prop.description) {
      var d = el("div", { class: "desc" }, prop.description + (prop.source ? " Source: " + prop.source : ""));
      wrap.appendChild(d);
    }
    return wrap;
  }

  function buildForm(schema) {
    var box = $("form-fields");
    box.textContent = "";
    var first = ["layout", "policy"];
    var order = Object.keys(schema.properties).sort(function (a, b) {
      var ia = first.indexOf(a), ib = first.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    });
    var top = el("fieldset");
    top.appendChild(el("legend", {}, "Scenario"));
    order.forEach(function (key) {
      var node = resolve(schema, schema.properties[key]);
      if (node && node.type === "object" && node.properties) {
        var det = el("details", { class: "section" });
        if (first.indexOf(key) >= 0) { det.open = true; }
        det.appendChild(el("summary", {}, key + " — " + (node.description || node.title || "")));
        Object.keys(node.properties).forEach(function (f) { det.appendChild(fieldInput("f-" + key + "-" + f, node.properties[f])); });
        box.appendChild(det);
      } else {
        top.appendChild(fieldInput("f-" + key, schema.properties[key]));
      }
    });
    box.insertBefore(top, box.firstChild);
  }

  function readValue(input) {
    var kind = input.dataset.kind;
    if (kind === "boolean") { return input.checked; }
    var raw = input.value.trim();
    if (kind === "json") {
      if (raw === "") { return undefined; }
      try { return JSON.parse(raw); } catch (e) { throw new Error(input.id.slice(2).replace("-", ".") + ": not valid JSON (" + e.message + ")"); }
    }
    if (kind === "integer" || kind === "number") {
      if (raw === "") { return input.dataset.nullable ? null : undefined; }
      return Number(raw);
    }
    if (kind === "array") {
      if (raw === "") { return input.dataset.nullable ? null : []; }
      var items = raw.split(/[,，\s]+/).filter(function (s) { return s; });
      if (input.dataset.items === "number" || input.dataset.items === "integer") {
        return items.map(function (s) {
          var n = Number(s);
          if (!isFinite(n)) { throw new Error(input.id.slice(2).replace("-", ".") + ": " + JSON.stringify(s) + " is not a number; give numbers separated by commas"); }
          return n;
        });
      }
      return items;
    }
    return raw;
  }

  function formScenario() {
    var out = {};
    document.querySelectorAll("#form-fields [id^=f-]").forEach(function (input) {
      var parts = input.id.slice(2).split("-");
      var v = readValue(input);
      if (v === undefined) { return; }
      if (JSON.stringify(v) === input.dataset.default) { return; } // unchanged: the server's default
      if (parts.length === 1) { out[parts[0]] = v; } else {
        out[parts[0]] = out[parts[0]] || {};
        out[parts[0]][parts.slice(1).join("-")] = v;
      }
    });
    return out;
  }

  async function submitScenario(ev) {
    ev.preventDefault();
    try {
      var body = JSON.stringify({ scenario: formScenario() });
      var job = await api("/api/jobs", { method: "POST", headers: { "Content-Type": "application/json" }, body: body });
      watchJob(job);
    } catch (e) {
      message("Scenario not run: " + e.message);
    }
  }

  async function submitToml() {
    var file = $("toml-file").files[0];
    if (!file) { message("Choose a scenario TOML file first."); return; }
    try {
      var job = await api("/api/jobs/toml", { method: "POST", headers: { "Content-Type": "application/toml" }, body: file });
      watchJob(job);
    } catch (e) { message("Scenario file not run: " + e.message); }
  }

  function watchJob(job) {
    state.job = job.id;
    $("job").hidden = false;
    $("run-button").disabled = true;
    var tick = async function () {
      var j;
      try { j = await api("/api/jobs/" + encodeURIComponent(job.id)); } catch (e) { message("Job: " + e.message); $("run-button").disabled = false; return; }
      $("job-progress").value = j.status === "done" ? 1 : j.progress;
      $("job-label").textContent = j.name + ": " + j.status + (j.stage ? " — stage " + j.stage : "") + " (" + Math.round(100 * (j.status === "done" ? 1 : j.progress)) + " %)";
      if (j.status === "done") {
        $("run-button").disabled = false;
        message("Run " + j.id + " finished.", "info");
        await loadRuns();
        await showRun(j.id);
      } else if (j.status === "failed") {
        $("run-button").disabled = false;
        message("Run failed: " + j.error);
      } else { setTimeout(tick, 400); }
    };
    tick();
  }

  /* ---------------------------------------------------------------- runs */
  async function loadRuns() {
    try { state.runs = await api("/api/runs"); } catch (e) { message("Runs: " + e.message); return; }
    var ul = $("runs");
    ul.textContent = "";
    state.runs.forEach(function (r) {
      var li = el("li", { "data-run": r.id }, r.name + " ");
      li.appendChild(el("span", { class: "when" }, r.id + " · " + new Date(r.created * 1000).toLocaleString()));
      li.onclick = function () { showRun(r.id); };
      ul.appendChild(li);
    });
    ["compare-a", "compare-b"].forEach(function (id, i) {
      var sel = $(id), keep = sel.value;
      sel.textContent = "";
      state.runs.forEach(function (r) { sel.appendChild(el("option", { value: r.id }, r.id)); });
      if (keep) { sel.value = keep; } else if (state.runs.length > i) { sel.value = state.runs[i].id; }
    });
    var mr = $("monitor-run"), keepRun = mr.value;
    mr.textContent = "";
    state.runs.forEach(function (r) { mr.appendChild(el("option", { value: r.id }, r.id)); });
    if (keepRun) { mr.value = keepRun; }
    $("status").textContent = state.runs.length + " run(s)";
  }

  async function showRun(id) {
    var box = $("result");
    box.textContent = "";
    try {
      var run = await api("/api/runs/" + encodeURIComponent(id));
      var sec = el("section", { id: "run-result", "data-run": run.id });
      sec.appendChild(el("h2", {}, run.name + " — " + run.id));
      if (run.description) { sec.appendChild(el("p", {}, run.description)); }
      sec.appendChild(table(["indicator", "value", "from"], run.indicators.map(function (i) { return [i.name, i.value, i.source]; })));
      var files = el("p", { class: "files" });
      if (run.report_url) {
        var rep = el("a", { href: run.report_url, target: "_blank", rel: "noopener", id: "report-link" }, "Open report");
        files.appendChild(rep);
      }
      run.files.forEach(function (f) { files.appendChild(el("a", { href: f.url, download: "" }, "⤓ " + f.path)); });
      sec.appendChild(files);
      if (run.layers.length) {
        var lp = el("p", {}, "Map layers: ");
        run.layers.forEach(function (l) {
          var b = el("button", { type: "button" }, "+ " + l.layer + " (" + l.features + ")");
          b.onclick = async function () {
            try { var spec = await api(l.url); spec.visible = true; state.map.add(spec); showTab("tab-map"); }
            catch (e) { message("Layer: " + e.message); }
          };
          lp.appendChild(b);
        });
        sec.appendChild(lp);
      }
      box.appendChild(sec);
      var towns = await api("/api/runs/" + encodeURIComponent(id) + "/towns");
      if (towns.length) {
        var ts = el("section", { id: "run-towns" });
        ts.appendChild(el("h3", {}, "Towns of the plan 规划小镇 (" + towns.length + ")"));
        var end = Object.keys(towns[0]).filter(function (k) { return /^residents_\d{4}$/.test(k); })[0];
        var year = end ? end.slice(-4) : "";
        var cols = ["town_id", "county", "industry", "source", "site_id", "construction_km2",
          "residents_designed", "jobs_designed", "investment_bn_yuan"];
        if (year) { cols = cols.concat(["residents_" + year, "jobs_" + year, "tax_bn_yuan_" + year]); }
        ts.appendChild(table(cols, towns.map(function (t) { return cols.map(function (c) { return t[c]; }); })));
        box.appendChild(ts);
      }
      var charts = await api("/api/runs/" + encodeURIComponent(id) + "/charts");
      var cs = el("section", { class: "charts", id: "run-charts" });
      cs.appendChild(el("h3", {}, "Charts"));
      charts.forEach(function (c) {
        var fig = el("figure");
        var holder = el("div");
        holder.innerHTML = c.svg; // SVG made by the server (text escaped there)
        fig.appendChild(holder);
        fig.appendChild(el("figcaption", {}, c.caption));
        cs.appendChild(fig);
      });
      box.appendChild(cs);
    } catch (e) { message("Run " + id + ": " + e.message); }
  }

  async function compare() {
    var a = $("compare-a").value, b = $("compare-b").value;
    var box = $("comparison");
    box.textContent = "";
    if (!a || !b) { message("Choose two runs to compare."); return; }
    try {
      var c = await api("/api/compare?a=" + encodeURIComponent(a) + "&b=" + encodeURIComponent(b));
      box.appendChild(el("h3", {}, "A: " + c.a.name + "  ·  B: " + c.b.name));
      box.appendChild(table(["indicator", "A", "B", "B − A"], c.indicators.map(function (r) { return [r.name, r.a, r.b, r.difference]; })));
      box.appendChild(el("h4", {}, "Scenario differences"));
      box.appendChild(c.scenario_differences.length ? table(["key", "A", "B"], c.scenario_differences.map(function (d) { return [d.key, d.a, d.b]; })) : el("p", {}, "none: the same scenario"));
      box.appendChild(el("h4", {}, "Stage timings (s)"));
      box.appendChild(table(["stage", "A", "B", "B − A"], c.timings_s.map(function (r) { return [r.name, r.a, r.b, r.difference]; })));
    } catch (e) { message("Compare: " + e.message); }
  }

  /* ---------------------------------------------------------------- programme office (monitor) */
  function monitorQuery() {
    var y = $("monitor-year").value.trim();
    return y ? "year=" + encodeURIComponent(y) : "";
  }

  async function gradeFile() {
    var file = $("portfolio-file").files[0];
    if (!file) { message("Choose a portfolio CSV or XLSX file first."); return; }
    var xlsx = /\.xlsx$/i.test(file.name);
    var type = xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv";
    var q = "filename=" + encodeURIComponent(file.name) + (monitorQuery() ? "&" + monitorQuery() : "");
    try {
      showAssessment(await api("/api/monitor/grade?" + q, { method: "POST", headers: { "Content-Type": type }, body: file }));
    } catch (e) { message("Portfolio not graded: " + e.message); }
  }

  async function gradeExample() {
    try { showAssessment(await api("/api/monitor/example?" + monitorQuery())); }
    catch (e) { message("Example: " + e.message); }
  }

  async function gradeRun() {
    var id = $("monitor-run").value;
    if (!id) { message("No finished run to grade yet."); return; }
    try { showAssessment(await api("/api/monitor/runs/" + encodeURIComponent(id) + "?" + monitorQuery())); }
    catch (e) { message("Run " + id + ": " + e.message); }
  }

  function download(name, text) {
    var url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    return el("a", { href: url, download: name, "data-file": name }, "⤓ " + name);
  }

  function showAssessment(a) {
    if (state.monitor) { state.map.remove(state.monitor.layer.name); }
    state.monitor = a;
    a.layer.visible = true;
    state.map.add(a.layer);
    var box = $("result");
    box.textContent = "";
    var sec = el("section", { id: "monitor-result", "data-year": a.year });
    sec.appendChild(el("h2", {}, "Annual assessment " + a.year + " 年度考核 — " + a.source));
    var simulated = a.provenance !== "reported";
    sec.appendChild(el("p", { class: "provenance " + a.provenance, id: "monitor-provenance" }, simulated
      ? "Indicators are SIMULATED by xiaozhen's model (marked on every row), not data reported by the towns."
      : "Indicators as reported by the towns."));
    var shown = a.distribution.filter(function (d) {
      return a.distribution.some(function (o) { return o.tier === d.tier && o.towns > 0; });
    });
    sec.appendChild(el("h3", {}, "Grades against the 2018 assessment 与2018年比较"));
    sec.appendChild(table(["tier", "grade", "towns", "share", "2018 towns", "2018 share"], shown.map(function (d) {
      return [d.tier, d.grade_zh + " " + d.grade, d.towns, d.share, d.published_2018, d.published_2018_share];
    })));
    sec.lastChild.id = "monitor-distribution";
    var files = el("p", { class: "files" });
    Object.keys(a.files).forEach(function (name) { files.appendChild(download(name, a.files[name])); });
    sec.appendChild(files);
    sec.appendChild(el("h3", {}, "Towns 小镇 (" + a.towns.length + ") — click one for its card"));
    var t = table(["town", "tier", "county", "industry", "score", "grade"], a.towns.map(function (c) {
      return [c.name, c.tier, c.county, c.industry, c.score, c.grade_zh];
    }));
    t.id = "monitor-towns";
    Array.prototype.slice.call(t.querySelectorAll("tr")).slice(1).forEach(function (tr, i) {
      tr.dataset.town = a.towns[i].town_id;
      tr.classList.add("clickable");
      tr.onclick = function () { showTown(a.towns[i].town_id); };
    });
    sec.appendChild(t);
    box.appendChild(sec);
    var open = $("town-name");
    $("town-card").textContent = "";
    if (open && a.towns.some(function (c) { return c.town_id === open.dataset.town; })) { showTown(open.dataset.town); }
    showTab("tab-monitor");
    document.body.dataset.monitor = String(a.year);
  }

  function showTown(id) {
    var card = (state.monitor.towns || []).filter(function (c) { return c.town_id === id; })[0];
    var box = $("town-card");
    box.textContent = "";
    if (!card) { return; }
    box.appendChild(el("h3", { id: "town-name", "data-town": id }, card.name + " · " + card.grade_zh + " (" + (card.score === null ? "–" : card.score.toFixed(1)) + ")"));
    box.appendChild(el("p", {}, card.tier + " · " + card.county + " (" + card.adcode + ") · " + card.industry + " · year " + (card.age + 1) + " since creation"));
    if (card.notes) { box.appendChild(el("p", { class: "hint" }, card.notes)); }
    var b = table(["criterion", "value", "full marks at", "points", "of"], card.breakdown.map(function (r) {
      return [r.criterion, r.value, r.target, r.points, r.max_points];
    }));
    b.id = "town-breakdown";
    box.appendChild(b);
    box.appendChild(el("h4", {}, "History 历年"));
    var h = table(["year", "tier", "score", "grade"], card.history.map(function (r) { return [r.year, r.tier, r.score, r.grade_zh]; }));
    h.id = "town-history";
    box.appendChild(h);
    box.appendChild(el("h4", {}, "Consequences 奖惩"));
    var c = table(["", ""], Object.keys(card.consequences).map(function (k) { return [k, card.consequences[k]]; }));
    c.id = "town-consequences";
    box.appendChild(c);
    showTab("tab-monitor");
  }

  /* ---------------------------------------------------------------- start */
  async function start() {
    document.querySelectorAll(".tabs button").forEach(function (b) { b.onclick = function () { showTab(b.dataset.tab); }; });
    $("scenario-form").onsubmit = submitScenario;
    $("reset-button").onclick = function () { buildForm(state.schema); };
    $("toml-button").onclick = submitToml;
    $("refresh-runs").onclick = loadRuns;
    $("compare-button").onclick = compare;
    $("grade-file").onclick = gradeFile;
    $("grade-example").onclick = gradeExample;
    $("grade-run").onclick = gradeRun;
    try {
      var h = await api("/api/health");
      $("status").textContent = "xiaozhen " + h.version;
      state.schema = await api("/api/scenario/schema");
      buildForm(state.schema);
      await initMap();
      await loadRuns();
      document.body.dataset.ready = "1";
    } catch (e) { message("Start-up: " + e.message); }
  }

  document.addEventListener("DOMContentLoaded", start);
})();
