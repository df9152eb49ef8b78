// The explorer's page: state in the URL, a job per change, plots from summary.json's content.
"use strict";

const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];
// Setting A in blues, B in oranges: a pair of colours per setting, shades for its series.
const PAIRED = { a: ["#0072B2", "#56B4E9", "#004a75", "#8fd0f5"], b: ["#D55E00", "#E69F00", "#8f3f00", "#f5c26b"] };
const shade = (panel, j) => PAIRED[panel.key][j % PAIRED[panel.key].length];
const HEADLINE = { years: 3, window_months: 12 };
const panels = {};
let presets = null;
let posteriors = null;  // the calibration runs the server lists (GET /api/posteriors)
let activeTab = "curves";

function defaultState() {
  return { scenario: "decaying", timelines: "none", n_draws: 100000, seed: 0, params: {}, options: {} };
}

function readUrl() {
  const text = new URLSearchParams(window.location.search).get("state");
  if (!text) return { a: defaultState(), b: null, tab: "curves" };
  try {
    const parsed = JSON.parse(text);
    return { a: parsed.a || defaultState(), b: parsed.b || null, tab: parsed.tab || "curves" };
  } catch (e) {
    return { a: defaultState(), b: null, tab: "curves" };
  }
}

function writeUrl() {
  const state = { a: panels.a.state, b: panels.b.enabled ? panels.b.state : null, tab: activeTab };
  const url = window.location.pathname + "?state=" + encodeURIComponent(JSON.stringify(state));
  window.history.replaceState(null, "", url);
}

function percent(p) {
  if (p === null || p === undefined) return "n/a";
  const v = 100 * p;
  if (v === 0 || v === 100) return v.toFixed(0) + "%";
  if (v < 0.01) return "<0.01%";
  if (v > 99.99) return ">99.99%";
  return v.toPrecision(3) + "%";
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function calendarDate(year) {  // 2027.69 -> Sep 2027, as the report writes it
  if (year === null || year === undefined) return "not reached";
  const whole = Math.floor(year);
  return `${MONTHS[Math.min(Math.floor((year - whole) * 12), 11)]} ${whole}`;
}

function headlineRow(summary) {  // the model's headline cell (summary.headline), else 3y in 12m
  const rows = summary.probabilities || [];
  const head = summary.headline && summary.headline.years ? summary.headline : HEADLINE;
  return rows.find(r => r.years === head.years && r.window_months === head.window_months) || rows[0];
}

function milestoneHeadline(summary, notes) {  // a model whose headline is its milestones
  if (!summary.headline || summary.headline.kind !== "milestones" || !summary.milestones) return null;
  const names = Object.keys(summary.milestones);
  if (!names.length) return null;
  const last = names[names.length - 1], entry = summary.milestones[last];
  const q = entry.years_after_start || {}, said = (notes || {})[last] || {};
  const fmt = (v, k) => said[k] ? said[k] : (v === null || v === undefined) ? "not reached" : v < 1 ? `${(v * 12).toPrecision(3)} months` : v < 100 ? `${v.toPrecision(3)} years` : `${Math.round(v).toLocaleString("en-US")} years`;
  const date = entry.date && entry.date.q50 !== undefined ? `, median date ${calendarDate(entry.date.q50)}` : "";
  return `${last}: ${fmt(q.q50, "q50")} after the start (80%: ${fmt(q.q10, "q10")}–${fmt(q.q90, "q90")})${date}`;
}

class Panel {
  constructor(key, state) {
    this.key = key;
    this.root = document.getElementById("panel-" + key);
    this.root.innerHTML = "";
    this.root.appendChild(document.getElementById("panel-template").content.cloneNode(true));
    this.state = Object.assign(defaultState(), state || {});
    this.state.params = Object.assign({}, this.state.params || {});
    this.state.options = Object.assign({}, this.state.options || {});
    this.enabled = key === "a" || state !== null;
    this.job = null;
    this.summary = null;
    this.timer = null;
    this.densityTimer = null;
    this.previewed = 0;  // the latest preview asked for: an older answer is dropped
    this.q = sel => this.root.querySelector(sel);
    this.q(".panel-name").textContent = "Setting " + key.toUpperCase();
    // Scenario presets grouped by the model each names: every model's named parameter sets.
    const groups = {};
    for (const d of presets.scenario_details) {
      if (!groups[d.model_title]) {
        groups[d.model_title] = document.createElement("optgroup");
        groups[d.model_title].label = d.model_title;
        this.q("select.scenario").appendChild(groups[d.model_title]);
      }
      const option = document.createElement("option");
      option.value = option.textContent = d.name;
      option.title = d.description;
      groups[d.model_title].appendChild(option);
    }
    for (const name of presets.timelines) {
      const option = document.createElement("option");
      option.value = option.textContent = name;
      this.q("select.timelines").appendChild(option);
    }
    this.q("select.scenario").value = this.state.scenario;
    this.q("select.timelines").value = this.state.timelines;
    this.q("input.n_draws").value = this.state.n_draws;
    this.q("input.seed").value = this.state.seed;
    this.q("select.scenario").addEventListener("change", () => {
      this.state.scenario = this.q("select.scenario").value;
      this.state.params = {};
      this.state.options = {};
      this.loadScenario();
    });
    this.q("select.timelines").addEventListener("change", () => {
      this.state.timelines = this.q("select.timelines").value;
      for (const path of Object.keys(this.state.params)) {
        if (path.startsWith("timelines.")) delete this.state.params[path];
      }
      this.loadScenario();  // the new stage's priors
    });
    for (const name of ["n_draws", "seed"]) {
      this.q("input." + name).addEventListener("change", () => {
        const text = this.q("input." + name).value.trim();
        this.state[name] = /^[0-9]+$/.test(text) ? Number(text) : text;
        this.changed();
      });
    }
  }

  clearErrors() {
    this.root.querySelectorAll(".error").forEach(e => { e.textContent = ""; });
  }

  showError(error) {
    // The message goes beside the field it names (scenario.params.f.high: beside f's input).
    let field = error.field || "";
    let target = null;
    while (field && !target) {
      target = this.root.querySelector(`[data-error="${CSS.escape(field)}"]`);
      field = field.includes(".") ? field.slice(0, field.lastIndexOf(".")) : "";
    }
    (target || this.q(".error.general")).textContent = error.message;
  }

  async loadScenario() {
    this.clearErrors();
    const url = "/api/scenario?state=" + encodeURIComponent(JSON.stringify(this.state));
    const response = await fetch(url);
    const body = await response.json();
    if (!response.ok) { this.showError(body); return; }
    this.table = body;
    const bodies = { true: this.q("table.preset tbody"), false: this.q("table.others tbody") };
    bodies[true].innerHTML = bodies[false].innerHTML = "";
    for (const p of body.parameters) {
      const tbody = bodies[p.in_preset || this.state.params[p.path] !== undefined];
      const tr = document.createElement("tr");
      const help = `${p.meaning} [${p.unit}], allowed ${p.range}`;
      tr.innerHTML = "<td></td><td><input><span class='error'></span></td><td class='unit'></td>";
      tr.children[0].textContent = p.name;
      tr.children[0].title = help;
      const input = tr.querySelector("input");
      const edited = this.state.params[p.path] !== undefined ? this.state.params[p.path]
        : this.state.params[p.path.replace(/^scenario\.params\./, "")];
      input.value = edited !== undefined ? edited : p.prior;
      const fit = () => { input.size = Math.max(20, input.value.length + 2); };  // its text fits
      fit();
      input.addEventListener("input", fit);
      input.dataset.field = p.path;
      input.title = help;
      input.disabled = !p.editable;
      tr.querySelector(".error").dataset.error = p.path;
      tr.children[2].textContent = p.unit;
      tr.children[2].title = `allowed ${p.range}`;
      if (String(input.value).startsWith("posterior:")) input.title = `${help}; ${p.prior}`;
      input.addEventListener("change", () => {
        const text = input.value.trim();
        delete this.state.params[p.path.replace(/^scenario\.params\./, "")];
        if (text === p.prior) delete this.state.params[p.path]; else this.state.params[p.path] = text;
        this.changed();
      });
      // The prior's density while it is edited (and when its field or name is clicked).
      const preview = now => this.previewSoon(p, () => input.value.trim(), now);
      input.addEventListener("input", () => preview(false));
      input.addEventListener("focus", () => preview(true));
      tr.children[0].classList.add("previewable");
      tr.children[0].addEventListener("click", () => preview(true));
      tbody.appendChild(tr);
    }
    const about = this.q(".model-description");  // the model's own words, as text
    about.textContent = body.model ? `${body.model.title}: ${body.model.description}` : "";
    const preset = presets.scenario_details.find(d => d.name === this.state.scenario);
    this.q(".preset-description").textContent = preset ? `Preset ${preset.name}: ${preset.description}` : "";
    const options = this.q(".options");
    options.innerHTML = "";
    for (const name of body.options) {
      const label = document.createElement("label");
      label.innerHTML = "<input type='checkbox'> ";
      label.appendChild(document.createTextNode(name.replace(/_/g, " ")));
      const help = document.createElement("span");  // what the switch does, shown as text
      help.className = "switch-help";
      help.textContent = (body.option_help || {})[name] || "";
      label.appendChild(help);
      const box = label.querySelector("input");
      box.dataset.option = name;
      box.checked = !!this.state.options[name];
      box.addEventListener("change", () => { this.state.options[name] = box.checked; this.changed(); });
      options.appendChild(label);
    }
    this.renderPosteriors();
    this.changed(true);
  }

  previewSoon(row, text, now) {
    clearTimeout(this.densityTimer);
    this.densityTimer = setTimeout(() => { if (text()) this.preview(row, text()); }, now ? 0 : 300);
  }

  async preview(row, text) {
    // One preview panel: the density of the prior being edited, as the server computes it
    // from the prior the forecast draws; a bad value shows its message instead.
    const ask = ++this.previewed;
    const state = JSON.parse(JSON.stringify(this.state));
    delete state.params[row.path.replace(/^scenario\.params\./, "")];
    if (text !== row.prior) state.params[row.path] = text; else delete state.params[row.path];
    const url = "/api/density?state=" + encodeURIComponent(JSON.stringify(state)) + "&path=" + encodeURIComponent(row.path);
    const response = await fetch(url);
    const body = await response.json();
    if (ask !== this.previewed) return;
    const box = this.q(".density"), plot = this.q(".plot-density"), message = this.q(".density-message");
    box.hidden = false;
    box.dataset.path = row.path;
    this.q(".density-title").textContent = `${row.name}: ${response.ok ? body.prior : text}`;
    message.classList.toggle("bad", !response.ok);
    if (!response.ok) {
      message.textContent = body.message;
      plot.hidden = true;
      box.dataset.status = "error";
      return;
    }
    box.dataset.status = body.method;
    const mass = body.point_mass;
    const spanned = mass ? body.coverage / (1 - mass.p) : body.coverage;  // of the density's part
    const notes = {
      exact: spanned < 1 - 1e-9 ? `its central ${percent(spanned)}` : "",
      kde: "a kernel density estimate of the posterior's draws, its central 99%",
      histogram: body.message, point: "", none: body.message,
    };
    const said = mass ? `${mass.p === 1 ? "a fixed value" : `P = ${percent(mass.p)} exactly`} at ${mass.at}` : "";
    message.textContent = [notes[body.method], said].filter(Boolean).join("; ");
    plot.hidden = !body.x.length && !mass;
    if (plot.hidden) return;
    const traces = [];
    if (body.x.length) {
      traces.push({ x: body.x, y: body.density, mode: "lines", line: { color: shade(this, 0) }, fill: "tozeroy",
        fillcolor: shade(this, 0) + "33", name: "density", hovertemplate: "%{x:.4g}: %{y:.4g}<extra></extra>" });
    }
    if (mass) {  // a point mass: a stem as tall as the density's peak, labelled with its probability
      const top = body.density.length ? Math.max(...body.density) : 1;
      traces.push({ x: [mass.at, mass.at], y: [0, top], mode: "lines+markers", line: { color: shade(this, 2), width: 3 },
        marker: { size: [0, 8] }, name: `P = ${percent(mass.p)}`, hovertemplate: `${mass.at}: P = ${percent(mass.p)}<extra></extra>` });
    }
    const unit = ((this.table || {}).parameters || []).find(r => r.path === row.path);
    Plotly.react(plot, traces, { height: 220, margin: { t: 10, r: 10, l: 50, b: 40 }, showlegend: false,
      xaxis: { title: { text: unit ? `${row.name} [${unit.unit}]` : row.name }, type: body.log_x ? "log" : "linear" },
      yaxis: { title: { text: mass && !body.x.length ? "probability" : "density" }, rangemode: "tozero" } });
  }

  renderPosteriors() {
    // The calibration runs the server lists: "use for <setting>" sets that prior (and the
    // preset it needs) to posterior:<id>; the server turns it into the CLI's posterior(...).
    const box = this.q(".calibrated");
    const list = box.querySelector("ul");
    list.innerHTML = "";
    box.hidden = !posteriors;
    if (!posteriors) return;
    this.q(".calibrated-count").textContent = `${posteriors.posteriors.length} in ${posteriors.directory}`;
    const paths = new Set(((this.table || {}).parameters || []).map(r => r.path));
    const fmt = v => (v === null || v === undefined) ? "—" : Number(v).toPrecision(3);
    if (!posteriors.posteriors.length) {
      const li = document.createElement("li");
      li.textContent = `none found in ${posteriors.directory} (forecaster calibrate model=... writes them; forecaster serve --calibrations DIR looks elsewhere)`;
      list.appendChild(li);
    }
    for (const run of posteriors.posteriors) {
      const li = document.createElement("li");
      const q = run.quantiles || {};
      li.appendChild(document.createTextNode(`${run.id}: ${run.model}, ${run.forecast_variable} median ${fmt(q.q50)} (90%: ${fmt(q.q05)}–${fmt(q.q95)})${run.converged ? "" : ", did not converge"} `));
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.posterior = run.id;
      const chosen = this.state.params[run.setting] === "posterior:" + run.id;
      button.textContent = chosen ? `in use for ${run.setting}` : `use for ${run.setting}`;
      const fits = run.setting.startsWith("timelines.") || paths.has(run.setting);
      button.disabled = chosen || !fits;
      if (!fits) button.title = `preset ${this.state.scenario} has no ${run.setting}`;
      button.addEventListener("click", () => {
        for (const preset of run.presets) {  // the presets its setting needs: timelines=metr_trend
          const [group, value] = preset.split("=");
          if (group === "timelines" && this.state.timelines !== value) {
            this.state.timelines = value;
            this.q("select.timelines").value = value;
            for (const path of Object.keys(this.state.params)) {
              if (path.startsWith("timelines.")) delete this.state.params[path];
            }
          }
        }
        delete this.state.params[run.setting.replace(/^scenario\.params\./, "")];
        this.state.params[run.setting] = "posterior:" + run.id;
        this.loadScenario();
      });
      li.appendChild(button);
      list.appendChild(li);
    }
    for (const skipped of posteriors.skipped) {
      const li = document.createElement("li");
      li.className = "skipped";
      li.textContent = `${skipped.id}: skipped (${skipped.message})`;
      list.appendChild(li);
    }
  }

  changed(now) {
    writeUrl();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), now ? 0 : 300);
  }

  async run() {
    if (!this.enabled) return;
    if (this.job) fetch(`/api/job/${this.job}/cancel`, { method: "POST" });
    this.clearErrors();
    this.q(".status").textContent = "starting…";
    this.q(".download").hidden = true;
    const response = await fetch("/api/run", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(this.state),
    });
    const body = await response.json();
    if (!response.ok) {
      this.showError(body);
      this.stale(body.message);
      this.q(".status").textContent = "not computed: fix the value marked in red";
      return;
    }
    this.job = body.id;
    this.q(".command").textContent = body.command;
    this.poll(body.id);
  }

  async poll(id) {
    if (id !== this.job) return;
    // The server holds the answer until the job ends (or 0.25 s: the progress bar's step).
    const response = await fetch(`/api/job/${id}?wait=0.25`);
    const body = await response.json();
    if (id !== this.job) return;
    if (!response.ok) {  // the job is gone (evicted): say so, and stop asking
      this.showError(body);
      this.stale(body.message);
      this.q(".status").textContent = body.message;
      return;
    }
    const fraction = body.total ? body.done / body.total : 0;
    this.q(".progress .bar").style.width = (100 * fraction).toFixed(1) + "%";
    if (body.status === "done") {
      this.summary = body.summary;
      this.milestoneNotes = body.milestone_notes || {};  // times at a ladder's phase cap, in words
      this.render();
      return;
    }
    if (body.status === "error" || body.status === "cancelled") {
      this.showError(body.error || { message: body.status });
      this.stale((body.error || {}).message || body.status);
      this.q(".status").textContent = body.status;
      return;
    }
    this.q(".status").textContent = `${body.status}: ${body.done.toLocaleString()} of ${body.total.toLocaleString()} draws`;
    this.poll(id);
  }

  stale(why) {  // the headline shown is of earlier settings: greyed, and says so
    const head = this.q(".headline");
    head.classList.add("stale");
    head.title = "not of the settings shown: " + why;
  }

  render() {
    const s = this.summary;
    const row = headlineRow(s);
    const head = this.q(".headline");
    head.classList.remove("stale");
    head.title = "";
    head.dataset.p = row ? String(row.p) : "";
    const milestones = milestoneHeadline(s, this.milestoneNotes);
    head.textContent = milestones ? milestones : row
      ? `P(≥ ${row.years} years of progress within ${row.window_months} months) = ${percent(row.p)}` +
        ` (Monte Carlo 95%: ${percent(row.ci_low)}–${percent(row.ci_high)})`
      : "no probability";
    this.q(".status").textContent =
      `${s.finite_draws.toLocaleString()} draws, seed ${s.seed}` +
      (s.non_finite ? `, ${s.non_finite.toLocaleString()} non-finite (left out)` : "") +
      (s.timing && s.timing.draws_per_second ? `, ${Math.round(s.timing.draws_per_second).toLocaleString()} draws/s` : "");
    const link = this.q(".download");
    link.href = `/api/job/${this.job}/download`;
    link.hidden = false;
    drawAll();
  }
}

function enabledPanels() {
  return ["a", "b"].map(k => panels[k]).filter(p => p && p.enabled && p.summary);
}

function label(panel) {
  return panels.b.enabled ? `${panel.key.toUpperCase()}: ${panel.state.scenario}` : panel.state.scenario;
}

const LAYOUT = { margin: { t: 40, r: 20 }, legend: { orientation: "h", y: -0.2 } };

function drawCurves() {
  const traces = [];
  enabledPanels().forEach((panel, i) => {
    const curve = panel.summary.curve || [];
    const windows = [...new Set(curve.map(r => r.window_months))];
    windows.forEach((w, j) => {
      const rows = curve.filter(r => r.window_months === w);
      const color = shade(panel, j);
      const x = rows.map(r => r.years);
      traces.push({ x, y: rows.map(r => 100 * r.ci_high), mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" });
      traces.push({ x, y: rows.map(r => 100 * r.ci_low), mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: color + "33", showlegend: false, hoverinfo: "skip" });
      traces.push({ x, y: rows.map(r => 100 * r.p), mode: "lines", line: { color }, name: `${label(panel)}, within ${w} months` });
    });
  });
  drawGrid();
  Plotly.react("plot-curves", traces, { ...LAYOUT, title: { text: "P(≥ Y years of progress within w), 95% Monte Carlo band" },
    xaxis: { title: { text: "Y, years of progress" }, type: "log" }, yaxis: { title: { text: "probability (%)" }, range: [0, 100] } });
}

function drawGrid() {
  // Every cell of P(>= Y years within w): A's, B's when comparing, and A - B with its
  // standard error (the two runs' errors combined as independent: sqrt(se_A^2 + se_B^2)).
  const shown = enabledPanels();
  const grid = document.getElementById("grid");
  if (!shown.length) { grid.innerHTML = ""; return; }
  const rows = shown.map(p => p.summary.probabilities || []);
  const key = r => `${r.years}|${r.window_months}`;
  const years = [...new Set(rows[0].map(r => r.years))].sort((x, y) => x - y);
  const windows = [...new Set(rows[0].map(r => r.window_months))].sort((x, y) => x - y);
  const find = (list, y, w) => list.find(r => key(r) === `${y}|${w}`);
  const pair = shown.length === 2;
  let html = `<table class="grid"><caption>P(≥ Y years of progress within w)${pair ? ": A, B and A − B (± its standard error)" : ""}</caption><tr><th>Y \\ w</th>`;
  html += windows.map(w => `<th>${w} months</th>`).join("") + "</tr>";
  for (const y of years) {
    html += `<tr><th>${y} years</th>`;
    for (const w of windows) {
      const cells = rows.map(list => find(list, y, w));
      const a = cells[0];
      let cell = `<span class="a" data-p="${a ? a.p : ""}">${pair ? "A " : ""}${a ? percent(a.p) : "—"}</span>`;
      if (pair) {
        const b = cells[1];
        cell += ` <span class="b" data-p="${b ? b.p : ""}">B ${b ? percent(b.p) : "—"}</span>`;
        if (a && b) {
          const diff = a.p - b.p, se = Math.sqrt(a.se * a.se + b.se * b.se);
          const pts = v => (100 * v).toFixed(Math.abs(100 * v) < 1 ? 2 : 1);
          cell += `<br><span class="diff" data-diff="${diff}" data-se="${se}">A − B ${diff >= 0 ? "+" : ""}${pts(diff)} pts ± ${pts(se)}</span>`;
        }
      }
      html += `<td data-years="${y}" data-window="${w}">${cell}</td>`;
    }
    html += "</tr>";
  }
  grid.innerHTML = html + "</table>";
}

function drawFan() {
  const traces = [];
  enabledPanels().forEach((panel, i) => {
    const fan = panel.summary.fan || [];
    const color = shade(panel, 0);
    const t = fan.map(r => r.t_years);
    for (const [lo, hi, alpha] of [["q05", "q95", "22"], ["q25", "q75", "55"]]) {
      traces.push({ x: t, y: fan.map(r => r[hi]), mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip" });
      traces.push({ x: t, y: fan.map(r => r[lo]), mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: color + alpha, name: `${label(panel)} ${lo.slice(1)}–${hi.slice(1)}%` });
    }
    traces.push({ x: t, y: fan.map(r => r.q50), mode: "lines", line: { color }, name: `${label(panel)} median` });
  });
  Plotly.react("plot-fan", traces, { ...LAYOUT, title: { text: "Progress since automation: median and bands" },
    xaxis: { title: { text: "years since automation" } }, yaxis: { title: { text: "years of progress" }, type: "log" } });
}

function strip(outcome, title, axis) {
  const traces = [];
  enabledPanels().forEach((panel, i) => {
    const rows = (panel.summary.quantiles || []).filter(r => r.outcome === outcome);
    rows.forEach((r, j) => {
      const name = `${label(panel)}${r.years !== undefined && r.years !== null ? `, ${r.years} y` : ""}`;
      traces.push({ type: "box", name, orientation: "h", marker: { color: shade(panel, j) },
        q1: [r.q25], median: [r.q50], q3: [r.q75], lowerfence: [r.q05], upperfence: [r.q95], y: [name] });
    });
  });
  return [traces, { ...LAYOUT, title: { text: title }, xaxis: { title: { text: axis }, type: "log" }, showlegend: false, margin: { l: 180, t: 40 } }];
}

function drawDistributions() {
  Plotly.react("plot-peak", ...strip("peak_speedup", "Peak speed-up (5–95%, 25–75%, median)", "speed-up (x)"));
  Plotly.react("plot-times", ...strip("time_to_progress_years", "Years to each level of progress", "years since automation"));
}

function drawSensitivity() {
  const traces = [];
  enabledPanels().forEach((panel, i) => {
    const row = headlineRow(panel.summary);
    const name = row ? `P(≥${row.years}y within ${row.window_months}m)` : "";
    const event = row ? `P(>=${row.years}y in ${row.window_months}m)` : null;
    const use = (panel.summary.sensitivity || []).filter(r => r.event === event);
    const first = event;
    traces.push({ type: "bar", orientation: "h", name: `${label(panel)} ${first || name}`, marker: { color: shade(panel, 0) },
      y: use.map(r => r.parameter), x: use.map(r => r.first_order_index) });
  });
  Plotly.react("plot-sensitivity", traces, { ...LAYOUT, title: { text: "First-order sensitivity index of the headline event" },
    xaxis: { title: { text: "share of the variance explained" } }, margin: { l: 140, t: 40 } });
}

function drawDates() {
  const traces = [];
  const tables = [];
  enabledPanels().forEach((panel, i) => {
    const cal = panel.summary.calendar;
    if (cal && cal.monthly) {
      traces.push({ x: cal.monthly.years, y: cal.monthly.p_automation.map(p => 100 * p), mode: "lines", line: { color: shade(panel, 0) }, name: `${label(panel)}: automation started` });
      traces.push({ x: cal.monthly.years, y: cal.monthly.p_explosion.map(p => 100 * p), mode: "lines", line: { color: shade(panel, 1) }, name: `${label(panel)}: explosion complete` });
    }
    const ms = panel.summary.milestones;
    if (ms) {
      let html = `<h3>${label(panel)}: milestones (years after the start)</h3><table><tr><th>milestone</th><th>10%</th><th>median</th><th>90%</th><th>P(within 1 y)</th><th>P(within 2 y)</th><th>median date</th></tr>`;
      for (const [name, m] of Object.entries(ms)) {
        const q = m.years_after_start, said = (panel.milestoneNotes || {})[name] || {};
        const f = k => said[k] ? said[k] : (q[k] === null || q[k] === undefined ? "—" : Number(q[k]).toPrecision(3));
        html += `<tr><td>${name}</td><td>${f("q10")}</td><td>${f("q50")}</td><td>${f("q90")}</td><td>${percent(m.p_within_years["1"])}</td><td>${percent(m.p_within_years["2"])}</td><td>${m.date ? calendarDate(m.date.q50) : "—"}</td></tr>`;
      }
      tables.push(html + "</table>");
    }
  });
  Plotly.react("plot-calendar", traces, { ...LAYOUT, title: { text: traces.length ? "By calendar date (monthly)" : "No timelines stage: choose one" },
    xaxis: { title: { text: "year" } }, yaxis: { title: { text: "probability (%)" }, range: [0, 100] } });
  document.getElementById("milestones").innerHTML = tables.join("");
}

async function drawTrajectory() {  // each panel's path on the first one's axes (a model's own: calendar years)
  const traces = [], shapes = [], notes = [];
  let axes = null;
  for (const panel of ["a", "b"].map(k => panels[k]).filter(p => p && p.enabled)) {
    const response = await fetch("/api/trajectory?state=" + encodeURIComponent(JSON.stringify(panel.state)));
    if (!response.ok) continue;
    const body = await response.json();
    if (axes && (axes.x !== body.x || axes.y !== body.y)) { notes.push(`${label(panel)}: another clock, not shown`); continue; }
    axes = axes || body;
    traces.push({ x: body.columns[body.x], y: body.columns[body.y], mode: "lines", line: { color: shade(panel, 0) }, name: `${label(panel)} at its prior medians` });
    for (const [name, at] of Object.entries(body.marks || {})) {
      if (at === null) continue;
      shapes.push({ type: "line", x0: at, x1: at, yref: "paper", y0: 0, y1: 1, line: { dash: "dot", width: 1, color: shade(panel, 0) } });
      notes.push(`${label(panel)}: ${name} ${Number(at).toFixed(2)}`);
    }
  }
  Plotly.react("plot-trajectory", traces, { ...LAYOUT, title: { text: "One path at the prior medians" }, shapes,
    xaxis: { title: { text: axes ? axes.x_title : "years since automation" } }, yaxis: { title: { text: axes ? axes.y_title : "years of progress" } } });
  document.getElementById("trajectory-notes").textContent = notes.join("; ");
}

async function drawSpeedup() {
  const form = new FormData(document.getElementById("speedup-form"));
  const response = await fetch("/api/speedup?" + new URLSearchParams(form).toString());
  const body = await response.json();
  document.getElementById("speedup-error").textContent = response.ok ? "" : body.message;
  if (!response.ok) return;
  document.getElementById("speedup-result").textContent = body.explosive
    ? "r_cog ≥ 1: no balanced path, a software-only explosion"
    : `speed-up ${Number(body.speedup).toPrecision(3)}x (software growth ${(100 * body.g_before).toPrecision(3)}%/yr → ${(100 * body.g_after).toPrecision(3)}%/yr; implied r ${Number(body.r).toPrecision(3)})`;
}

function mixtureRows(mix) {  // [what, estimate] of the mixture: the grid's cells, then the common dates
  const rows = (mix.probabilities || []).map(r => [`P(≥ ${r.years} years within ${r.window_months} months)`,
    `${percent(r.p)} (${percent(r.ci_low)}–${percent(r.ci_high)})`]);
  const common = mix.common || {};
  for (const [key, title] of [["automation", "full automation of AI R&D"], ["superintelligence", "superintelligence"]]) {
    const entry = common[key];
    if (!entry) { rows.push([title, "cannot answer: " + ((common.unanswered || {})[key] || "")]); continue; }
    const q = k => (entry.date[k] || {}).value;
    rows.push([`${title}: median date (10%–90%)`, `${calendarDate(q("q50"))} (${calendarDate(q("q10"))}–${calendarDate(q("q90"))})`]);
    for (const year of ["2027", "2030", "2035"]) {
      if (entry.p_by_year && entry.p_by_year[year] != null) rows.push([`${title} by the end of ${year}`, percent(entry.p_by_year[year])]);
    }
  }
  return rows;
}

async function drawMixture() {  // A and B weighted: POST /api/mix, the numbers of forecaster mix
  const out = document.getElementById("mixture"), error = document.getElementById("mix-error");
  const weight = Number(document.getElementById("mix-weight").value);
  document.getElementById("mix-weight-value").textContent = weight.toFixed(2);
  out.replaceChildren();
  error.textContent = "";
  if (enabledPanels().length !== 2) {
    out.textContent = "Compare with a second setting and run both: the mixture weighs A and B.";
    return;
  }
  const response = await fetch("/api/mix", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ parts: [{ job: panels.a.job, weight }, { job: panels.b.job, weight: 1 - weight }] }) });
  const body = await response.json();
  if (!response.ok) { error.textContent = body.message; return; }
  const table = document.createElement("table");
  table.className = "grid";
  table.createCaption().textContent = `${weight.toFixed(2)} × A (${panels.a.state.scenario}) + ${(1 - weight).toFixed(2)} × B (${panels.b.state.scenario})`;
  for (const [what, value] of mixtureRows(body)) {  // text, never markup: labels come from the runs
    const tr = table.insertRow();
    tr.insertCell().textContent = what;
    tr.insertCell().textContent = value;
  }
  out.appendChild(table);
}

function drawAll() {
  const draw = { curves: drawCurves, fan: drawFan, distributions: drawDistributions, sensitivity: drawSensitivity,
    dates: drawDates, mixture: drawMixture, trajectory: drawTrajectory, speedup: drawSpeedup }[activeTab];
  if (draw) draw();
}

function showTab(name) {
  activeTab = name;
  document.querySelectorAll("#tabs button").forEach(b => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach(t => { t.hidden = t.id !== "tab-" + name; });
  writeUrl();
  drawAll();
}

async function start() {
  presets = await (await fetch("/api/presets")).json();
  const listed = await fetch("/api/posteriors");
  posteriors = listed.ok ? await listed.json() : null;
  const initial = readUrl();
  panels.a = new Panel("a", initial.a);
  panels.b = new Panel("b", initial.b);
  document.getElementById("compare").checked = panels.b.enabled;
  document.getElementById("panel-b").hidden = !panels.b.enabled;
  document.getElementById("compare").addEventListener("change", e => {
    const on = e.target.checked;
    if (on && !panels.b.table) panels.b = new Panel("b", JSON.parse(JSON.stringify(panels.a.state)));  // B starts as a copy of A
    panels.b.enabled = on;
    document.getElementById("panel-b").hidden = !on;
    if (on && !panels.b.table) panels.b.loadScenario(); else { writeUrl(); drawAll(); }
  });
  document.querySelectorAll("#tabs button").forEach(b => b.addEventListener("click", () => showTab(b.dataset.tab)));
  document.getElementById("speedup-form").addEventListener("change", drawSpeedup);
  document.getElementById("mix-weight").addEventListener("change", drawMixture);
  activeTab = initial.tab;
  showTab(activeTab);
  await panels.a.loadScenario();
  if (panels.b.enabled) await panels.b.loadScenario();
}

start();
