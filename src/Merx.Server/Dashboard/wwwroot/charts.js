// The dashboard's drawing code: DOM and SVG helpers and the charts (horizontal bars, stacked bars, lines), no dependencies.
"use strict";

const EXPLORE = "#d9822b", EXPLOIT = "#2f6fde";
const SVG = "http://www.w3.org/2000/svg";
const fmt = n => n == null ? "–" : Number(n).toLocaleString("en-US");
const pct = x => x == null ? "–" : (100 * x).toFixed(x < 0.1 ? 1 : 0) + " %";

// ---- tiny DOM and SVG helpers ----
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v; else if (k === "style") e.style.cssText = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}
function s(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) e.setAttribute(k, v);
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
const tip = text => s("title", {}, text);
function empty(container, message) { container.replaceChildren(h("div", { class: "empty" }, message)); }

// Round axis maximum and ticks: 1, 2 or 5 times a power of ten.
function niceTicks(max, count = 4) {
  if (!(max > 0)) return { max: 1, ticks: [0, 1] };
  const raw = max / count, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * p).find(v => v >= raw);
  const top = Math.ceil(max / step) * step, ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  return { max: top, ticks };
}
const short = n => n >= 1e6 ? (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + "M" : n >= 1e3 ? (n / 1e3).toFixed(n >= 1e4 ? 0 : 1) + "k" : String(Math.round(n * 100) / 100);

// ---- charts ----
function hbarChart(container, rows, { color = EXPLOIT, format = fmt } = {}) {
  if (!rows.length) return empty(container, "no data yet");
  const W = 420, rowH = 26, left = 100, right = 60, H = rows.length * rowH + 8;
  const max = Math.max(...rows.map(r => r.value)) || 1;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" });
  rows.forEach((r, i) => {
    const y = 4 + i * rowH, w = Math.max(1, (W - left - right) * r.value / max);
    svg.append(s("text", { x: left - 8, y: y + rowH / 2 + 4, "text-anchor": "end" }, r.label),
      s("rect", { x: left, y: y + 4, width: w, height: rowH - 8, rx: 3, fill: r.color || color }, tip(`${r.label}: ${format(r.value)}`)),
      s("text", { x: left + w + 6, y: y + rowH / 2 + 4 }, format(r.value)));
  });
  container.replaceChildren(svg);
}

function stackedBars(container, labels, series, unit = "day") {
  if (!labels.length) return empty(container, "no events yet");
  const W = 760, H = 260, L = 48, R = 12, T = 10, B = 28;
  const totals = labels.map((_, i) => series.reduce((a, sr) => a + sr.values[i], 0));
  const { max, ticks } = niceTicks(Math.max(...totals));
  const pw = W - L - R, ph = H - T - B, bw = pw / labels.length, y = v => T + ph - ph * v / max;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" });
  for (const t of ticks) svg.append(s("line", { class: "grid", x1: L, x2: W - R, y1: y(t), y2: y(t) }), s("text", { x: L - 6, y: y(t) + 4, "text-anchor": "end" }, short(t)));
  labels.forEach((label, i) => {
    let base = 0;
    const x = L + i * bw + Math.min(1, bw * 0.1), w = Math.max(0.8, bw - 2 * Math.min(1, bw * 0.1));
    for (const sr of series) {
      const v = sr.values[i];
      if (v > 0) svg.append(s("rect", { x, y: y(base + v), width: w, height: Math.max(0.5, y(base) - y(base + v)), fill: sr.color }, tip(`${unit} of ${label} · ${sr.name}: ${fmt(v)}`)));
      base += v;
    }
  });
  const every = Math.max(1, Math.ceil(labels.length / 8));
  const axisLabel = l => unit === "year" ? l.slice(0, 4) : unit === "month" ? l.slice(0, 7) : labels.length && labels[0].slice(0, 4) !== labels[labels.length - 1].slice(0, 4) ? l : l.slice(5);
  labels.forEach((label, i) => { if (i % every === 0) svg.append(s("text", { x: L + (i + 0.5) * bw, y: H - 8, "text-anchor": "middle" }, axisLabel(label))); });
  svg.append(s("line", { class: "axis", x1: L, x2: W - R, y1: y(0), y2: y(0) }));
  container.replaceChildren(svg);
}

function lineChart(container, labels, series, { yMax, format = pct } = {}) {
  const values = series.flatMap(sr => sr.values).filter(v => v != null);
  if (!labels.length || !values.length) return empty(container, "nothing served in this window yet: pick a user in the live view");
  const W = 620, H = 220, L = 48, R = 14, T = 10, B = 28;
  const { max, ticks } = niceTicks(Math.max(yMax || 0, ...values));
  const pw = W - L - R, ph = H - T - B;
  const x = i => labels.length === 1 ? L + pw / 2 : L + pw * i / (labels.length - 1), y = v => T + ph - ph * v / max;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" });
  for (const t of ticks) svg.append(s("line", { class: "grid", x1: L, x2: W - R, y1: y(t), y2: y(t) }), s("text", { x: L - 6, y: y(t) + 4, "text-anchor": "end" }, format(t)));
  for (const sr of series) {
    let d = "";
    sr.values.forEach((v, i) => { if (v != null) d += (d && sr.values[i - 1] != null ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1); });
    if (d) svg.append(s("path", { d, fill: "none", stroke: sr.color, "stroke-width": 2, "stroke-linejoin": "round" }));
    sr.values.forEach((v, i) => { if (v != null) svg.append(s("circle", { cx: x(i), cy: y(v), r: 3, fill: sr.color }, tip(`${labels[i]} · ${sr.name}: ${format(v)}`))); });
  }
  const every = Math.max(1, Math.ceil(labels.length / 7));
  const anchor = i => labels.length === 1 ? "middle" : i === 0 ? "start" : i === labels.length - 1 ? "end" : "middle";
  labels.forEach((label, i) => { if (i % every === 0 || i === labels.length - 1 && labels.length < 8) svg.append(s("text", { x: x(i), y: H - 8, "text-anchor": anchor(i) }, label)); });
  svg.append(s("line", { class: "axis", x1: L, x2: W - R, y1: y(0), y2: y(0) }));
  container.replaceChildren(svg);
}

function legend(container, entries) {
  container.replaceChildren(...entries.map(([name, color]) => h("span", { style: `--c:${color}` }, name)));
}
