/* Planners' dashboard: plain JavaScript and SVG, no library, no request (the data are embedded).
   Pick city, indicator, group and quarter; the page shows the time series with the other cities of
   the same basis, the district map, the tables with numerator, denominator, interval and flags,
   the catalogue's definition and reading aid, and a CSV of the selection. */
"use strict";

const T0 = performance.now();
const D = JSON.parse(document.getElementById("dashboard-data").textContent);
const T_PARSED = performance.now();
const SUPPRESSED = 1, PROVISIONAL = 2, NOT_COMPARABLE = 4, BLOCKED = 8, BREAK = 16;
const LOCALES = { de: "de-DE", nl: "nl-NL", en: "en-GB" };
const SVGNS = "http://www.w3.org/2000/svg";
const CITY_COLOURS = ["#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#35978f", "#8c510a", "#4d4d4d"];
const WHOLE = "INSGESAMT";

const state = { lang: D.meta.default_lang, city: null, indicator: null, group: WHOLE, period: null };
const indicatorById = Object.fromEntries(D.indicators.map((i, n) => [i.id, Object.assign(i, { n })]));
const cityBySlug = Object.fromEntries(D.cities.map((c, n) => [c.slug, Object.assign(c, { n })]));
const groupLabel = Object.fromEntries(D.groups.map((g) => [g.code, g.label]));

// -- indices over the columnar rows ------------------------------------------------------------
function index(cols, keyOf) {
  const out = new Map();
  if (!cols || !cols.flags) return out;
  for (let r = 0; r < cols.flags.length; r++) {
    const k = keyOf(r);
    if (!out.has(k)) out.set(k, []);
    out.get(k).push(r);
  }
  return out;
}
function expand(cols) {
  // the key columns come run-length encoded: [value, count, ...]
  for (const name of cols.runs || []) {
    const runs = cols[name], out = [];
    for (let k = 0; k < runs.length; k += 2) for (let n = 0; n < runs[k + 1]; n++) out.push(runs[k]);
    cols[name] = out;
  }
  return cols;
}
const S = expand(D.series), DI = expand(D.districts);
const NI = D.indicators.length, NG = D.groups.length, NP = D.periods.length;
// numeric keys: a Map over numbers is several times faster to build than one over strings
const seriesKey = (ind, group) => ind * NG + group;
const districtKey = (city, ind, group, period) => ((city * NI + ind) * NG + group) * NP + period;
const seriesBy = index(S, (r) => seriesKey(S.indicator_id[r], S.group_value[r]));
const districtsBy = index(DI, (r) => districtKey(DI.city[r], DI.indicator_id[r], DI.group_value[r], DI.period[r]));
const districtKeys = index(DI, (r) => DI.indicator_id[r]);

function code(list, value) { return list.indexOf(value); }
const groupCodes = D.groups.map((g) => g.code);

// -- words and numbers -------------------------------------------------------------------------
function t(key, fields) {
  let s = (D.ui[key] && D.ui[key][state.lang]) || key;
  for (const [k, v] of Object.entries(fields || {})) s = s.split("{" + k + "}").join(v);
  return s;
}
function mt(key) { return D.map_texts[key][state.lang]; }
function tr(obj) { return obj ? obj[state.lang] || obj.en || "" : ""; }
function decimals(kind) {
  return { count: 0, persons: 0, balance: 0, percent: 1, per_1000: 1, index: 3, ratio: 2 }[kind] ?? 2;
}
const formatters = new Map();
function fmtNumber(v, d) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const key = state.lang + d;
  if (!formatters.has(key)) {
    formatters.set(key, new Intl.NumberFormat(LOCALES[state.lang], { minimumFractionDigits: d, maximumFractionDigits: d }));
  }
  return formatters.get(key).format(v);
}
function fmtValue(v, kind) {
  if (v === null || v === undefined) return "–";
  if (kind === "percent") return fmtNumber(v * 100, 1) + " %";
  return fmtNumber(v, decimals(kind));
}
function fmtCount(v) {
  if (v === null || v === undefined) return "–";
  return fmtNumber(v, Number.isInteger(v) ? 0 : 1);
}
function flagText(flags, reason) {
  const out = [];
  if (flags & SUPPRESSED) out.push(t("flag_suppressed"));
  if (flags & BLOCKED) out.push(t("flag_blocked"));
  if (flags & NOT_COMPARABLE) out.push(t("flag_not_comparable"));
  if (flags & PROVISIONAL) out.push(t("flag_provisional"));
  if (flags & BREAK) out.push(t("flag_break"));
  const why = reason ? tr(D.reasons[reason]) : "";
  return out.join(", ") + (why ? ": " + why : "");
}
function el(tag, attrs, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// -- what exists for a selection ---------------------------------------------------------------
function groupsFor(ind) {
  const i = indicatorById[ind].n, have = new Set();
  for (const g of groupCodes) {
    if (seriesBy.has(seriesKey(i, code(groupCodes, g)))) have.add(g);
  }
  for (const r of districtKeys.get(i) || []) have.add(groupCodes[DI.group_value[r]]);
  return groupCodes.filter((g) => have.has(g));
}
function periodsFor(ind, group) {
  const i = indicatorById[ind].n, g = code(groupCodes, group), have = new Set();
  for (const r of seriesBy.get(seriesKey(i, g)) || []) have.add(S.period[r]);
  for (const r of districtKeys.get(i) || []) if (DI.group_value[r] === g) have.add(DI.period[r]);
  return [...have].sort((a, b) => a - b).map((p) => D.periods[p]);
}
function cityRows(ind, group) {
  // city-level rows: the intercity table, or for a district-only indicator the city's INSGESAMT row
  const i = indicatorById[ind].n, g = code(groupCodes, group);
  const rows = [];
  for (const r of seriesBy.get(seriesKey(i, g)) || []) {
    rows.push({ city: S.city[r], period: S.period[r], value: S.value[r], numerator: S.numerator[r],
      denominator: S.denominator[r], lo: S.ci_lower[r], hi: S.ci_upper[r], flags: S.flags[r],
      reason: S.reason[r], basis: S.bases[S.basis[r]] });
  }
  if (rows.length || !DI.flags) return rows;
  const whole = code(DI.codes, WHOLE);
  for (const r of districtKeys.get(i) || []) {
    if (DI.group_value[r] !== g || DI.district_code[r] !== whole) continue;
    rows.push({ city: DI.city[r], period: DI.period[r], value: DI.value[r], numerator: DI.numerator[r],
      denominator: DI.denominator[r], lo: null, hi: null, flags: DI.flags[r], reason: 0, basis: "register" });
  }
  return rows;
}

// -- controls ----------------------------------------------------------------------------------
function fillSelect(sel, options, value) {
  sel.replaceChildren(...options.map(([v, label]) => {
    const o = el("option", { value: v }, label);
    if (v === value) o.selected = true;
    return o;
  }));
  sel.value = value;
}
function renderControls() {
  const withData = D.cities.filter((c) => c.own && c.has_data);
  const own = withData.length ? withData : D.cities.filter((c) => c.own);
  if (!own.some((c) => c.slug === state.city)) state.city = own[0].slug;
  if (!state.indicator) state.indicator = indicatorById.migration_volume_rate ? "migration_volume_rate" : D.indicators[0].id;
  const groups = groupsFor(state.indicator);
  if (!groups.includes(state.group)) state.group = groups.includes(WHOLE) ? WHOLE : groups[0];
  const periods = periodsFor(state.indicator, state.group);
  if (!periods.includes(state.period)) state.period = periods[periods.length - 1];
  fillSelect(document.getElementById("sel-city"), own.map((c) => [c.slug, c.name]), state.city);
  fillSelect(document.getElementById("sel-indicator"),
    D.indicators.map((i) => [i.id, tr(i.name) + (i.city_level ? "" : " (" + t("district") + ")")]), state.indicator);
  fillSelect(document.getElementById("sel-group"), groups.map((g) => [g, tr(groupLabel[g])]), state.group);
  fillSelect(document.getElementById("sel-period"), [...periods].reverse().map((p) => [p, p]), state.period);
  for (const id of ["city", "indicator", "group", "period"]) {
    document.querySelector(`label[for=sel-${id}]`).textContent = t(id);
  }
  for (const b of document.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", b.dataset.lang === state.lang);
}

// -- time series -------------------------------------------------------------------------------
function niceTicks(lo, hi, n) {
  if (lo === hi) { hi = lo + 1; }
  const step0 = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0);
  // from the tick at or below the lowest value to the tick at or above the highest
  const first = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9);
  const ticks = [];
  for (let k = first; k <= last; k++) ticks.push(+(k * step).toFixed(10));
  return ticks;
}
function renderSeries() {
  const ind = indicatorById[state.indicator], kind = ind.unit_kind, scale = kind === "percent" ? 100 : 1;
  const rows = cityRows(state.indicator, state.group);
  const own = rows.filter((r) => D.cities[r.city].slug === state.city);
  const basis = (own.find((r) => r.basis) || rows[0] || {}).basis || "register";
  const shown = rows.filter((r) => r.basis === basis);
  const title = t("series_title", { indicator: tr(ind.name), group: tr(groupLabel[state.group]), city: cityBySlug[state.city].name });
  document.getElementById("series-title").textContent = title;
  document.getElementById("series-note").textContent = t("series_note", { basis: t("basis_" + basis) });
  const box = document.getElementById("series-chart");
  box.replaceChildren();
  const values = shown.filter((r) => r.value !== null);
  if (!values.length) { box.append(el("p", { class: "empty" }, t("no_series"))); return; }
  const periods = [...new Set(shown.map((r) => r.period))].sort((a, b) => a - b);
  const W = 760, H = 300, L = 62, R = 14, T = 12, B = 46;
  let lo = Math.min(...values.map((r) => (r.lo ?? r.value))), hi = Math.max(...values.map((r) => (r.hi ?? r.value)));
  lo = Math.min(0, lo) * scale; hi = hi * scale;
  const ticks = niceTicks(lo, hi, 5);
  const y0 = ticks[0], y1 = ticks[ticks.length - 1];
  const x = (p) => L + (periods.length === 1 ? (W - L - R) / 2 : (periods.indexOf(p) * (W - L - R)) / (periods.length - 1));
  const y = (v) => T + (H - T - B) * (1 - (v * scale - y0) / (y1 - y0 || 1));
  const svg = el("svg:svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, id: "series-svg" });
  for (const v of ticks) {
    const yy = T + (H - T - B) * (1 - (v - y0) / (y1 - y0 || 1));
    svg.append(el("svg:line", { x1: L, x2: W - R, y1: yy, y2: yy, class: "grid" }));
    svg.append(el("svg:text", { x: L - 6, y: yy + 4, class: "tick", "text-anchor": "end" },
      kind === "percent" ? fmtNumber(v, 0) + " %" : fmtNumber(v, decimals(kind))));
  }
  const every = Math.max(1, Math.ceil(periods.length / 8));
  periods.forEach((p, n) => {
    const last = n === periods.length - 1;
    if (last || (n % every === 0 && periods.length - 1 - n >= every)) {
      svg.append(el("svg:text", { x: x(p), y: H - B + 18, class: "tick", "text-anchor": last && n ? "end" : "middle" }, D.periods[p]));
    }
  });
  const sel = code(D.periods, state.period);
  if (periods.includes(sel)) svg.append(el("svg:line", { x1: x(sel), x2: x(sel), y1: T, y2: H - B, class: "marker" }));
  const byCity = new Map();
  for (const r of shown) { if (!byCity.has(r.city)) byCity.set(r.city, []); byCity.get(r.city).push(r); }
  const legend = document.getElementById("series-legend");
  legend.replaceChildren();
  const order = [...byCity.keys()].sort((a, b) => (D.cities[a].slug === state.city) - (D.cities[b].slug === state.city));
  for (const c of order) {
    const pts = byCity.get(c).sort((a, b) => a.period - b.period);
    const mine = D.cities[c].slug === state.city, colour = CITY_COLOURS[c % CITY_COLOURS.length];
    if (mine) {
      const band = pts.filter((r) => r.lo !== null && r.hi !== null && r.value !== null);
      if (band.length > 1) {
        const d = band.map((r, k) => (k ? "L" : "M") + x(r.period) + " " + y(r.hi)).join("") +
          band.slice().reverse().map((r) => "L" + x(r.period) + " " + y(r.lo)).join("") + "Z";
        svg.append(el("svg:path", { d, fill: colour, opacity: 0.15 }));
      }
    }
    let d = "", pen = false;
    for (const r of pts) {
      if (r.value === null) { pen = false; continue; }
      d += (pen ? "L" : "M") + x(r.period).toFixed(1) + " " + y(r.value).toFixed(1);
      pen = true;
    }
    svg.append(el("svg:path", { d, fill: "none", stroke: colour, "stroke-width": mine ? 3 : 1.4,
      opacity: mine ? 1 : 0.55, "data-city": D.cities[c].slug, class: mine ? "line selected" : "line" }));
    for (const r of pts) {
      if (r.value === null) continue;
      const dot = el("svg:circle", { cx: x(r.period), cy: y(r.value), r: mine ? 3.2 : 2, fill: colour, opacity: mine ? 1 : 0.6 });
      dot.append(el("svg:title", {}, `${D.cities[c].name} ${D.periods[r.period]}: ${fmtValue(r.value, kind)}`));
      svg.append(dot);
    }
    const item = el("span", { class: mine ? "key selected" : "key" });
    item.append(el("i", { style: `background:${colour}` }), document.createTextNode(D.cities[c].name + (mine ? " (" + t("selected") + ")" : "")));
    legend.append(item);
  }
  box.append(svg);
}

// -- map ---------------------------------------------------------------------------------------
function quantile(sorted, p) {
  const h = (sorted.length - 1) * p, lo = Math.floor(h), hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
function classEdges(values, k) {
  // as reports.district_maps.quantile_edges: numpy's linear quantiles, k <= distinct values
  const v = values.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return [];
  k = Math.min(k, new Set(v).size);
  if (k <= 1) return [v[0], v[v.length - 1]];
  const e = [];
  for (let i = 0; i <= k; i++) e.push(quantile(v, i / k));
  return [...new Set(e)].sort((a, b) => a - b);
}
function classOf(v, edges) {
  if (v === null || !edges.length) return null;
  const inner = edges.slice(1, -1);
  let i = 0;
  while (i < inner.length && v > inner[i]) i++;
  return i;
}
function classColours(k) {
  const ramp = D.classes.colours;
  if (k <= 0) return [];
  if (k === 1) return [ramp[2]];
  return [...Array(k).keys()].map((i) => ramp[Math.round((i * (ramp.length - 1)) / (k - 1))]);
}
function quarterEnd(period) {
  const y = +period.slice(0, 4), q = +period.slice(-1), m = 3 * q;
  return `${y}-${String(m).padStart(2, "0")}-${m === 3 || m === 12 ? 31 : 30}`;
}
function districtRows() {
  if (!DI.flags) return [];
  const i = indicatorById[state.indicator].n;
  const key = districtKey(cityBySlug[state.city].n, i, code(groupCodes, state.group), code(D.periods, state.period));
  return (districtsBy.get(key) || []).map((r) => ({
    code: DI.codes[DI.district_code[r]], level: D.levels[DI.district_level[r]], value: DI.value[r],
    numerator: DI.numerator[r], denominator: DI.denominator[r], flags: DI.flags[r],
  })).filter((r) => r.level !== "stadt" && r.level !== "unbekannt");
}
function renderMap() {
  const ind = indicatorById[state.indicator], kind = ind.unit_kind;
  const city = cityBySlug[state.city], geo = D.geometry[state.city];
  const title = t("map_title", { indicator: tr(ind.name), group: tr(groupLabel[state.group]), city: city.name, period: state.period });
  document.getElementById("map-title").textContent = title;
  const box = document.getElementById("map"), legend = document.getElementById("map-legend");
  box.replaceChildren(); legend.replaceChildren();
  const note = document.getElementById("map-note");
  note.textContent = "";
  if (!geo) { box.append(el("p", { class: "empty" }, t("no_geometry"))); return []; }
  const rows = districtRows();
  const counts = {};
  for (const r of rows) counts[r.level] = (counts[r.level] || 0) + 1;
  const levels = Object.keys(counts).sort((a, b) => counts[b] - counts[a] || a.localeCompare(b));
  const day = quarterEnd(state.period);
  const valid = geo.districts.filter((g) => (!g.from || g.from <= day) && (!g.to || g.to >= day));
  // the level of the indicator's rows; without rows the level with the most boundaries
  const byLevel = {};
  for (const g of valid) byLevel[D.levels[g.level]] = (byLevel[D.levels[g.level]] || 0) + 1;
  const level = levels[0] || Object.keys(byLevel).sort((a, b) => byLevel[b] - byLevel[a])[0];
  const shapes = valid.filter((g) => D.levels[g.level] === level);
  if (!rows.length) note.textContent = t("no_district");
  const byCode = Object.fromEntries(rows.map((r) => [r.code, r]));
  const edges = classEdges(rows.filter((r) => !(r.flags & SUPPRESSED)).map((r) => r.value), D.classes.n);
  const colours = classColours(edges.length - 1);
  legend.dataset.edges = JSON.stringify(edges);  // the class edges, for checks against the report's
  const svg = el("svg:svg", { viewBox: `-4 -4 ${geo.w + 8} ${geo.h + 8}`, role: "img", "aria-label": title, id: "map-svg" });
  const defs = el("svg:defs");
  const pat = el("svg:pattern", { id: "hatch", patternUnits: "userSpaceOnUse", width: 14, height: 14, patternTransform: "rotate(45)" });
  pat.append(el("svg:rect", { width: 14, height: 14, fill: D.classes.withheld }), el("svg:line", { x1: 0, y1: 0, x2: 0, y2: 14, stroke: "#555", "stroke-width": 4 }));
  defs.append(pat);
  svg.append(defs);
  let nWithheld = 0, nNone = 0;
  const drawn = [], labels = [];
  for (const g of shapes) {
    const r = byCode[g.code];
    let stateName, fill, tip;
    if (r && r.flags & SUPPRESSED) {
      stateName = "withheld"; fill = "url(#hatch)"; tip = mt("withheld"); nWithheld++;
    } else if (!r || r.value === null) {
      stateName = "none"; fill = "#ffffff"; tip = mt("no_value"); nNone++;
    } else {
      const c = classOf(r.value, edges);
      stateName = "class-" + c; fill = colours[c];
      tip = fmtValue(r.value, kind) + (r.denominator !== null ? ` (${fmtCount(r.numerator)} / ${fmtCount(r.denominator)})` : "");
    }
    const p = el("svg:path", { d: g.d, fill, stroke: "#444", "stroke-width": 1.2, "data-code": g.code, "data-state": stateName });
    p.append(el("svg:title", {}, `${g.name} (${g.code}): ${tip}`));
    svg.append(p);
    if (shapes.length <= 12 && g.lx !== undefined) {
      labels.push(el("svg:text", { x: g.lx, y: g.ly, class: "district-label", "text-anchor": "middle" }, g.name));
    }
    drawn.push({ code: g.code, name: g.name, row: r, state: stateName });
  }
  svg.append(...labels);
  box.append(svg);
  const swatch = (fill, label, cls) => {
    const item = el("span", { class: "swatch " + (cls || "") });
    const s = el("svg:svg", { width: 18, height: 12, viewBox: "0 0 18 12" });
    s.append(el("svg:rect", { x: 0.5, y: 0.5, width: 17, height: 11, fill, stroke: "#444" }));
    item.append(s, document.createTextNode(label));
    legend.append(item);
  };
  const unit = kind === "percent" ? " %" : "";
  const f = (v) => (kind === "percent" ? fmtNumber(v * 100, 1) : fmtNumber(v, decimals(kind)));
  if (edges.length === 2 && edges[0] === edges[1]) swatch(colours[0], f(edges[0]) + unit);
  else for (let c = 0; c < edges.length - 1; c++) swatch(colours[c], `${f(edges[c])} – ${f(edges[c + 1])}${unit}`);
  if (nWithheld) {
    const item = el("span", { class: "swatch withheld" });
    const s = el("svg:svg", { width: 18, height: 12, viewBox: "0 0 18 12" });
    const d2 = el("svg:defs"), p2 = el("svg:pattern", { id: "hatch-key", patternUnits: "userSpaceOnUse", width: 5, height: 5, patternTransform: "rotate(45)" });
    p2.append(el("svg:rect", { width: 5, height: 5, fill: D.classes.withheld }), el("svg:line", { x1: 0, y1: 0, x2: 0, y2: 5, stroke: "#555", "stroke-width": 1.5 }));
    d2.append(p2); s.append(d2, el("svg:rect", { x: 0.5, y: 0.5, width: 17, height: 11, fill: "url(#hatch-key)", stroke: "#444" }));
    item.append(s, document.createTextNode(mt("withheld")));
    legend.append(item);
  }
  if (nNone) swatch("#ffffff", mt("no_value"));
  const unitText = tr(ind.unit);
  document.getElementById("map-unit").textContent = t("unit") + ": " + unitText;
  document.getElementById("map-classes").textContent = mt("classes");
  document.getElementById("map-source").textContent = mt("source");
  document.getElementById("map-synthetic").textContent = D.meta.synthetic ? mt("synthetic") : "";
  return drawn;
}

// -- tables ------------------------------------------------------------------------------------
function emptyRow() {
  const row = el("tr", { class: "empty" });
  row.append(el("td", { colspan: 6 }, t("no_rows")));
  return row;
}
function cell(tr_, text, cls) { tr_.append(el("td", cls ? { class: cls } : {}, text)); }
function renderTables(drawn) {
  const ind = indicatorById[state.indicator], kind = ind.unit_kind, p = code(D.periods, state.period);
  document.getElementById("cities-caption").textContent = t("cities_table", { period: state.period });
  const head = [t("city"), t("value"), t("numerator"), t("denominator"), t("interval"), t("flags")];
  const thead = (id, first) => {
    const row = el("tr");
    [first, ...head.slice(1)].forEach((h) => row.append(el("th", {}, h)));
    document.querySelector(`#${id} thead`).replaceChildren(row);
  };
  thead("cities-table", t("city"));
  const body = document.querySelector("#cities-table tbody");
  body.replaceChildren();
  const rows = cityRows(state.indicator, state.group).filter((r) => r.period === p);
  for (const r of rows.sort((a, b) => a.city - b.city)) {
    const row = el("tr", { "data-city": D.cities[r.city].slug, class: D.cities[r.city].slug === state.city ? "selected" : "" });
    const hidden = r.flags & SUPPRESSED;
    cell(row, D.cities[r.city].name);
    cell(row, hidden ? "*" : fmtValue(r.value, kind), "num");
    cell(row, hidden ? "*" : fmtCount(r.numerator), "num");
    cell(row, hidden ? "*" : fmtCount(r.denominator), "num");
    cell(row, r.lo !== null && r.hi !== null && !hidden ? `${fmtValue(r.lo, kind)} – ${fmtValue(r.hi, kind)}` : "–", "num");
    cell(row, flagText(r.flags, r.reason));
    body.append(row);
  }
  if (!rows.length) body.append(emptyRow());
  document.getElementById("districts-caption").textContent = t("districts_table", { city: cityBySlug[state.city].name, period: state.period });
  thead("districts-table", t("district"));
  const dbody = document.querySelector("#districts-table tbody");
  dbody.replaceChildren();
  for (const d of drawn) {
    const r = d.row, row = el("tr", { "data-code": d.code, "data-state": d.state });
    const hidden = r && r.flags & SUPPRESSED;
    cell(row, `${d.name} (${d.code})`);
    cell(row, !r ? "–" : hidden ? "*" : fmtValue(r.value, kind), "num");
    cell(row, !r ? "–" : hidden ? "*" : fmtCount(r.numerator), "num");
    cell(row, !r ? "–" : hidden ? "*" : fmtCount(r.denominator), "num");
    cell(row, "–", "num");
    cell(row, r ? flagText(r.flags, 0) : mt("no_value"));
    dbody.append(row);
  }
  if (!drawn.length) dbody.append(emptyRow());
}

// -- definition, download ----------------------------------------------------------------------
function renderDefinition() {
  const ind = indicatorById[state.indicator], box = document.getElementById("definition");
  box.replaceChildren(el("h3", {}, tr(ind.name)));
  const dl = el("dl");
  const add = (key, text) => { if (text) dl.append(el("dt", {}, t(key)), el("dd", {}, text)); };
  add("definition", tr(ind.definition));
  if (tr(ind.district_definition) !== tr(ind.definition)) add("district_definition", tr(ind.district_definition));
  add("unit", tr(ind.unit));
  add("caveats", tr(ind.caveats));
  add("reading_aid", tr(ind.reading_aid));
  box.append(dl);
}
function csvField(v) {
  const s = v === null || v === undefined ? "" : String(v);
  return /[";\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}
function selectionCsv(drawn) {
  const ind = indicatorById[state.indicator];
  const head = ["level", "city", "district_code", "district_name", "period", "indicator_id", "indicator", "group",
    "value", "numerator", "denominator", "ci_lower", "ci_upper", "flags", "unit", "synthetic"];
  const lines = [head.join(";")];
  const flagsOf = (f, reason) => flagText(f, reason);
  const rows = cityRows(state.indicator, state.group).sort((a, b) => a.city - b.city || a.period - b.period);
  for (const r of rows) {
    const hide = r.flags & SUPPRESSED;
    lines.push(["city", D.cities[r.city].slug, "", D.cities[r.city].name, D.periods[r.period], ind.id, tr(ind.name), state.group,
      hide ? "" : r.value, hide ? "" : r.numerator, hide ? "" : r.denominator, hide ? "" : r.lo, hide ? "" : r.hi,
      flagsOf(r.flags, r.reason), tr(ind.unit), D.meta.synthetic].map(csvField).join(";"));
  }
  for (const d of drawn) {
    const r = d.row || { value: null, numerator: null, denominator: null, flags: 0 }, hide = r.flags & SUPPRESSED;
    lines.push(["district", state.city, d.code, d.name, state.period, ind.id, tr(ind.name), state.group,
      hide ? "" : r.value, hide ? "" : r.numerator, hide ? "" : r.denominator, "", "",
      d.row ? flagsOf(r.flags, 0) : mt("no_value"), tr(ind.unit), D.meta.synthetic].map(csvField).join(";"));
  }
  return lines.join("\n") + "\n";
}

// -- page --------------------------------------------------------------------------------------
function render() {
  document.documentElement.lang = state.lang;
  const title = D.meta.city ? t("title_city", { city: cityBySlug[D.meta.city].name }) : t("title", { alliance: D.meta.alliance });
  document.title = title;
  document.getElementById("title").textContent = title;
  document.getElementById("banner").textContent = D.meta.synthetic ? t("synthetic") : "";
  document.getElementById("banner").hidden = !D.meta.synthetic;
  document.getElementById("published").textContent = `${t("published")}: ${D.meta.published_at.slice(0, 16)}`;
  document.getElementById("about").textContent = t("about");
  renderControls();
  renderSeries();
  const drawn = renderMap();
  renderTables(drawn);
  renderDefinition();
  const a = document.getElementById("download");
  a.textContent = t("download");
  a.href = "data:text/csv;charset=utf-8," + encodeURIComponent("\ufeff" + selectionCsv(drawn));
  a.download = `${D.meta.alliance}_${state.city}_${state.indicator}_${state.group}_${state.period}.csv`;
  document.getElementById("download-note").textContent = t("download_note");
}

for (const id of ["city", "indicator", "group", "period"]) {
  document.getElementById("sel-" + id).addEventListener("change", (e) => { state[id] = e.target.value; render(); });
}
for (const b of document.querySelectorAll("[data-lang]")) {
  b.addEventListener("click", () => { state.lang = b.dataset.lang; render(); });
}
const T_INDEXED = performance.now();
render();
// opening time (read by make bench): navigation start -> first complete render
window.dashboardReady = {
  ms: performance.now(),
  script_ms: performance.now() - T0,
  parse_ms: T_PARSED - T0,
  index_ms: T_INDEXED - T_PARSED,
  render_ms: performance.now() - T_INDEXED,
};
document.body.dataset.ready = "1";
