// The Merx dashboard: plain JS, no dependencies. Every number comes from the JSON API; charts are SVG drawn here.
"use strict";

const KIND_COLORS = { view: "#4c78a8", click: "#f58518", add_to_cart: "#54a24b", purchase: "#e45756", rating: "#72b7b2", favorite: "#eeca3b", search: "#b279a2", impression: "#9d755d" };
const state = { key: initKey(), user: null, recId: null };
const $ = id => document.getElementById(id);
const plural = (n, word) => `${fmt(n)} ${word}${n === 1 ? "" : "s"}`;

// The key: injected into the page by the server (loopback, or after /?key=…), kept for this tab in sessionStorage.
function initKey() {
  const meta = document.querySelector('meta[name="merx-key"]');
  let key = meta ? meta.content : "";
  if (key && key !== "__MERX_KEY__") sessionStorage.setItem("merx-key", key);
  const url = new URL(location.href);
  if (url.searchParams.has("key")) { url.searchParams.delete("key"); history.replaceState(null, "", url.pathname + url.search + url.hash); }
  return sessionStorage.getItem("merx-key") || "";
}

// A read the server shed (503 with Retry-After: it is busy, e.g. the page's own burst of requests on a small
// machine, and did not start on the request) is tried again after the time it asks for, up to three times.
async function api(path, options = {}, attempt = 0) {
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (state.key) headers["X-Api-Key"] = state.key;
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const retryAfter = Number(response.headers.get("Retry-After"));
  if (response.status === 503 && retryAfter > 0 && (options.method || "GET").toUpperCase() === "GET" && attempt < 3) {
    await new Promise(resolve => setTimeout(resolve, Math.min(retryAfter, 5) * 1000));
    return api(path, options, attempt + 1);
  }
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error((body && (body.detail || body.title)) || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function showError(message) {
  const box = $("error");
  box.hidden = !message;
  box.textContent = message || "";
}

// ---- sections ----
async function loadOverview() {
  const [stats, timeline] = await Promise.all([api("/api/stats"), api("/api/stats/timeline")]);
  $("stat-users").textContent = fmt(stats.users);
  $("stat-users-sub").textContent = `${fmt(stats.users_with_profile)} with a profile`;
  $("stat-items").textContent = fmt(stats.items);
  $("stat-items-sub").textContent = `${fmt(stats.items_in_catalog)} in the catalog`;
  $("stat-events").textContent = fmt(stats.events);
  $("stat-events-sub").textContent = stats.users ? `${(stats.events / stats.users).toFixed(1)} per user` : "";
  const kinds = Object.entries(stats.events_by_kind).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  hbarChart($("chart-kinds"), kinds.map(([k, v]) => ({ label: k, value: v, color: KIND_COLORS[k] })));
  const labels = timeline.buckets.map(b => b.start);
  const series = timeline.kinds.map(k => ({ name: k, color: KIND_COLORS[k] || "#888", values: timeline.buckets.map(b => b.counts[k] || 0) }));
  stackedBars($("chart-timeline"), labels, series, timeline.bucket);
  legend($("timeline-legend"), timeline.kinds.map(k => [k, KIND_COLORS[k] || "#888"]));
  $("timeline-title").textContent = `Events per ${timeline.bucket}, by kind`;
  $("timeline-range").textContent = timeline.from ? `${timeline.from} → ${timeline.to} (UTC)` : "";
}

async function loadModels() {
  const data = await api("/api/models");
  const body = $("models-table").tBodies[0];
  const metric = (m, k) => m && typeof m[k] === "number" ? m[k] : null;
  const f4 = v => v == null ? "–" : v.toFixed(4);
  body.replaceChildren(...data.models.slice().reverse().map(m => h("tr", {},
    h("td", {}, "v" + m.version), h("td", {}, m.name), h("td", {}, when(m.created_at)),
    h("td", { class: "num" }, f4(metric(m.metrics, "ndcg@10"))), h("td", { class: "num" }, f4(metric(m.metrics, "hr@10"))),
    h("td", { class: "num" }, f4(metric(m.metrics, "mrr"))), h("td", { class: "num" }, f4(metric(m.metrics, "coverage@10"))),
    h("td", { class: "num" }, metric(m.metrics, "train_seconds") ?? "–"), h("td", { class: "num" }, (m.size_bytes / 1024 / 1024).toFixed(2) + " MB"),
    h("td", {}, h("span", { class: "badge " + (m.serving ? "serving" : "idle") }, m.serving ? "serving" : "stored")))));
  if (!data.models.length) body.replaceChildren(h("tr", {}, h("td", { colspan: 10, class: "muted" }, "no model published yet: run 'merx train' or POST /api/models/train")));
  $("models-note").textContent = data.snapshot_built_at ? `· snapshot of ${fmt(data.catalog_items)} items loaded ${new Date(data.snapshot_built_at).toLocaleTimeString()}` : "";
  const latest = new Map();
  for (const m of data.models) latest.set(m.name, m);
  hbarChart($("chart-models"), [...latest.values()].map(m => ({ label: `${m.name} v${m.version}`, value: metric(m.metrics, "ndcg@10") ?? 0, color: m.serving ? EXPLOIT : "#9aa6b6" })),
    { format: v => v.toFixed(4) });
}

async function loadExploration() {
  const e = await api("/api/stats/exploration?hours=24");
  const t = e.totals;
  $("stat-served").textContent = fmt(t.lists);
  $("stat-served-sub").textContent = `last 24 h · ${plural(t.slots, "slot")}`;
  $("ee-rate").textContent = t.slots ? pct(t.exploration_rate) : "–";
  $("ee-rate-sub").textContent = `${fmt(t.explored_slots)} of ${plural(t.slots, "slot")}`;
  $("ee-ctr-explored").textContent = pct(t.explored_ctr);
  $("ee-ctr-explored-sub").textContent = `${plural(t.explored_clicks, "click")} on ${plural(t.explored_slots, "slot")}`;
  $("ee-ctr-exploited").textContent = pct(t.exploited_ctr);
  $("ee-ctr-exploited-sub").textContent = `${plural(t.exploited_clicks, "click")} on ${plural(t.slots - t.explored_slots, "slot")}`;
  $("ee-window").textContent = `last 24 h`;
  $("ee-window-sub").textContent = `${e.policy} policy · buckets of ${e.bucket_seconds >= 3600 ? e.bucket_seconds / 3600 + " h" : e.bucket_seconds / 60 + " min"}`;
  const labels = e.buckets.map(b => when(b.start).replace("today ", ""));
  lineChart($("chart-ee-rate"), labels, [{ name: "explored share", color: EXPLORE, values: e.buckets.map(b => b.exploration_rate) }], { yMax: 0.2 });
  lineChart($("chart-ee-ctr"), labels, [
    { name: "explored", color: EXPLORE, values: e.buckets.map(b => b.explored_ctr ?? null) },
    { name: "exploited", color: EXPLOIT, values: e.buckets.map(b => b.exploited_ctr ?? null) }], { yMax: 0.05 });
  legend($("ee-legend"), [["explored slots", EXPLORE], ["exploited slots", EXPLOIT]]);
  $("ee-groups").querySelector("tbody").replaceChildren(...(e.groups || []).map(g => h("tr", {},
    h("td", {}, g.group), h("td", {}, g.slots), h("td", { class: "num" }, fmt(g.shown)), h("td", { class: "num" }, fmt(g.clicks)),
    h("td", { class: "num" }, g.ctr == null ? "–" : pct(g.ctr)),
    h("td", { class: "num" }, g.ctr == null ? "–" : `${pct(g.lo)} – ${pct(g.hi)}`))));
}

async function loadStatus() {
  const [st, list] = await Promise.all([api("/api/dashboard/status"), api("/api/experiments")]);
  const ex = st.experiments, pr = st.privacy;
  const rate = { click: "click_rate", add_to_cart: "add_to_cart_rate", purchase: "purchase_rate" };
  const experiments = list.experiments.filter(Boolean).slice().reverse().slice(0, 3).map(e => h("div", { class: "experiment", "data-id": e.id },
    h("div", { class: "exp-head" }, h("b", {}, e.id), " ", h("span", { class: "badge " + (e.running ? "serving" : "idle") }, e.running ? "running" : "stopped"),
      h("span", { class: "muted" }, ` · metric: ${e.metric} · since ${when(e.created_at)}`)),
    h("p", { class: "verdict" }, e.verdict),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["variant", "share", "users", "impressions", "CTR", `${e.metric} rate`].map((t, i) => h("th", { class: i ? "num" : null }, t)))),
      h("tbody", {}, e.variants.map(v => h("tr", {}, h("td", {}, v.name), h("td", { class: "num" }, pct(v.share)), h("td", { class: "num" }, fmt(v.users)),
        h("td", { class: "num" }, fmt(v.impressions)), h("td", { class: "num" }, pct(v.ctr)), h("td", { class: "num" }, pct(v[rate[e.metric]] ?? null))))))),
    h("p", { class: "note" }, e.sample_ratio.mismatch ? `Sample ratio mismatch (p = ${e.sample_ratio.p_value}): the assignment is not splitting traffic as defined.` : "Sample ratio: traffic splits as defined.")));
  $("experiments").replaceChildren(
    h("dl", { class: "kv" },
      h("dt", {}, "Defined"), h("dd", {}, ex.defined ? h("span", { class: "state on" }, `${fmt(ex.defined)}${ex.running ? ` · ${ex.running} running` : " · none running"}`) : h("span", { class: "state off" }, "none yet")),
      h("dt", {}, "Feedback"), h("dd", {}, `${fmt(ex.tagged_feedback)} on lists of an experiment, ${fmt(ex.untagged_feedback)} on untagged lists`)),
    ...(experiments.length ? experiments : [h("p", { class: "note" }, "Start one with POST /api/experiments (variants with traffic shares; the first is the control). Users are assigned by a hash of their id and every served list is tagged with its variant.")]));
  const onOff = (on, yes, no) => h("span", { class: "state " + (on ? "on" : "off") }, on ? yes : no);
  $("privacy").replaceChildren(
    h("dl", { class: "kv" },
      h("dt", {}, "Pseudonymization"), h("dd", {}, onOff(pr.pseudonymization, "on", "not configured"), " ", h("span", { class: "muted" }, pr.pseudonymization_note)),
      h("dt", {}, "Differential privacy"), h("dd", {}, onOff(pr.differential_privacy, "on", pr.served_models.some(m => m.differential_privacy) ? "partly" : "off"), " ", h("span", { class: "muted" }, pr.epsilon_note)),
      h("dt", {}, "Right to be forgotten"), h("dd", {}, onOff(pr.user_deletion, "available", "no"), " ", h("span", { class: "muted" }, "DELETE /api/users/{id} removes events, profile, served lists and feedback")),
      h("dt", {}, "API key"), h("dd", {}, st.auth)));
}

async function loadTrust() {
  const s = await api("/api/trust/surge?watch=10");
  const r = s.report;
  $("surge-meta").textContent = s.primed
    ? `· last ${Math.round(s.options.window_seconds / 60)} min: ${plural(r.accounts, "account")}, ${fmt(r.new_accounts)} new, ${plural(r.events, "event")}${r.events_dropped ? `, ${fmt(r.events_dropped)} dropped (window full)` : ""}`
    : "· loading the established accounts…";
  const f2 = v => v.toFixed(2);
  const rows = r.items.map(i => h("tr", { class: i.flagged ? "flagged" : null },
    h("td", {}, i.item), h("td", {}, h("span", { class: "badge " + (i.flagged ? "flag" : "idle") }, i.flagged ? "flagged" : "watch")),
    h("td", { class: "num" }, fmt(i.new_accounts)), h("td", { class: "num" }, fmt(i.accounts)), h("td", { class: "num" }, pct(i.new_share)),
    h("td", { class: "num" }, f2(i.lift)), h("td", { class: "num" }, pct(i.burst)), h("td", {}, i.alone ? "none: a one-item push" : i.co_pushed.join(", "))));
  $("surge-items").tBodies[0].replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 8, class: "muted" }, "no new accounts in the window"))]));
  $("surge-accounts-meta").textContent = r.suspect_accounts.length ? `· ${plural(r.suspect_accounts.length, "account")} pushing flagged items` : "";
  const accounts = r.suspect_accounts.map(a => h("tr", {}, h("td", {}, a.account), h("td", {}, when(new Date(a.first_seen * 1000).toISOString())),
    h("td", { class: "num" }, fmt(a.flagged_items)), h("td", { class: "num" }, fmt(a.events))));
  $("surge-accounts").tBodies[0].replaceChildren(...(accounts.length ? accounts : [h("tr", {}, h("td", { colspan: 4, class: "muted" }, "none: no item is flagged"))]));
}

async function loadHealth() {
  const pill = $("health");
  try {
    const r = await fetch("/health/ready");
    const b = await r.json();
    pill.className = "pill " + (r.ok ? "ok" : "bad");
    pill.textContent = r.ok ? `serving ${b.models.map(m => m.name + " v" + m.version).join(", ")}` : (b.detail || "not ready");
  } catch { pill.className = "pill bad"; pill.textContent = "server unreachable"; }
}

// ---- live view ----
async function loadSuggestions() {
  const r = await api("/api/dashboard/users?n=8");
  $("suggested").replaceChildren(...r.users.map(u => h("button", { type: "button", class: "chip", "data-user": u, onclick: () => showUser(u) }, u)));
  if (!state.user && r.users.length) showUser(r.users[0]);
}

async function showUser(user) {
  user = (user || "").trim();
  if (!user) return;
  state.user = user;
  $("user-input").value = user;
  for (const c of document.querySelectorAll(".chip")) c.classList.toggle("active", c.dataset.user === user);
  await Promise.all([loadEvents(), loadRecs()]).catch(e => showError(e.message));
}

async function loadEvents(fresh) {
  const user = state.user;
  const r = await api(`/api/users/${encodeURIComponent(user)}/events?limit=20`);
  if (user !== state.user) return; // another user was picked meanwhile
  $("events-user").textContent = `· ${r.user}`;
  const list = $("events");
  if (!r.events.length) return list.replaceChildren(h("li", { class: "muted" }, "no events for this user yet (a new user gets trending items and exploration)"));
  list.replaceChildren(...r.events.map((e, i) => h("li", { class: i === 0 && fresh && e.item === fresh ? "fresh" : null, "data-item": e.item || "", "data-kind": e.kind },
    h("span", { class: "when", title: e.at }, when(e.at)),
    h("span", {}, h("span", { class: "kind", style: `--c:${KIND_COLORS[e.kind] || "#888"}` }, e.kind)),
    h("span", { class: "what", title: [e.item, e.category].filter(Boolean).join(" · ") }, e.kind === "search" ? `“${e.query || ""}”` : (e.title || e.item), e.title ? h("span", { class: "muted" }, ` · ${e.item}`) : null))));
}

// Local time: "14:05" today, else "2024-03-20 01:11".
function when(iso) {
  const d = new Date(iso), p = n => String(n).padStart(2, "0");
  const time = `${p(d.getHours())}:${p(d.getMinutes())}`;
  return d.toDateString() === new Date().toDateString() ? `today ${time}` : `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${time}`;
}

async function loadRecs() {
  const box = $("recs");
  const user = state.user;
  let r;
  try { r = await api(`/api/users/${encodeURIComponent(user)}/recommendations?n=12&debug=true`); }
  catch (e) { if (user === state.user) { state.recId = null; $("recs-meta").textContent = ""; box.replaceChildren(h("p", { class: "muted" }, e.message)); } return; }
  if (user !== state.user) return;
  state.recId = r.recommendation_id;
  const explored = r.items.filter(i => i.explored).length;
  $("recs-meta").textContent = `· ${r.path} path · ${r.model ? r.model.name + " v" + r.model.version : "no model"} · ${explored} of ${r.items.length} explored · ${r.elapsed_ms.toFixed(1)} ms`;
  const max = Math.max(...r.items.map(i => i.score), 1e-9);
  box.replaceChildren(...r.items.map((it, k) => h("button", { type: "button", class: "rec" + (it.explored ? " explored" : ""), "data-item": it.item, "data-explored": String(it.explored), onclick: () => click(it.item) },
    h("div", { class: "title", title: it.title || it.item }, `${k + 1}. ${it.title || it.item}`),
    h("div", { class: "meta" }, h("span", {}, it.category || it.item), h("span", { class: "badge " + (it.explored ? "explored" : "exploit") }, it.explored ? "exploration" : it.source)),
    h("div", { class: "scorebar", title: `score ${it.score}` }, h("i", { style: `width:${Math.max(2, 100 * it.score / max).toFixed(1)}%` })),
    h("div", { class: "meta" }, h("span", { class: "reason" }, it.reason), h("span", {}, "score " + Number(it.score).toPrecision(3))))));
  if (!r.items.length) box.replaceChildren(h("p", { class: "muted" }, "nothing to recommend"));
  scheduleExploration();
}

// The list just served (and any click on it) shows up in the explore/exploit panel once the server's 1 s cache has moved on.
let explorationTimer = 0;
function scheduleExploration() {
  clearTimeout(explorationTimer);
  explorationTimer = setTimeout(() => loadExploration().catch(() => {}), 1200);
}

async function click(item) {
  if (!state.recId) return;
  try {
    await api("/api/feedback", { method: "POST", body: JSON.stringify({ recommendation_id: state.recId, item, kind: "click" }) });
    showError(null);
    await Promise.all([loadEvents(item), loadRecs(), loadStatus()]);
  } catch (e) {
    showError(e.status === 401 ? "Sending feedback needs the API key: open the dashboard as /?key=YOUR_KEY" : "Feedback failed: " + e.message);
  }
}

// ---- start ----
async function refresh() {
  const results = await Promise.allSettled([loadOverview(), loadModels(), loadExploration(), loadTrust(), loadStatus(), loadHealth()]);
  const failed = results.find(r => r.status === "rejected");
  showError(failed ? (failed.reason.status === 401 ? "This server needs the API key: open the dashboard as /?key=YOUR_KEY" : failed.reason.message) : null);
  $("updated").textContent = "updated " + when(new Date().toISOString()).replace("today ", "") + " · refreshes every 15 s";
}

document.addEventListener("DOMContentLoaded", () => {
  $("user-form").addEventListener("submit", ev => { ev.preventDefault(); showUser($("user-input").value); });
  refresh().then(() => loadSuggestions().catch(e => showError(e.message)));
  setInterval(refresh, 15000);
});
