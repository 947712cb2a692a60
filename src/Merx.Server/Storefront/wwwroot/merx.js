// Merx storefront beacon (served at /merx.js; plain JavaScript, no build step).
//
//   <script src="https://merx.example.com/merx.js" data-key="READ_KEY" defer></script>
//   <ul data-merx-recommendation="r_…">            the recommendation_id of a served list
//     <li data-merx-item="i7"><a href="/p/i7">…</a></li>
//   </ul>
//
// Every item of a marked list is reported once as an impression when at least half of it has been
// visible (IntersectionObserver), and every click inside it as a click, to POST /api/feedback with the
// list's recommendation_id. Entries are batched ({"feedback": [...]}) and sent with navigator.sendBeacon,
// which survives the page being left: after a click at once (the click usually navigates away), otherwise
// every `data-flush-ms` (2000) and when the page is hidden. sendBeacon cannot set headers, so the key
// travels as ?key= (accepted for POST /api/feedback only) and the body as text/plain JSON (no CORS
// preflight, so a shop on another origin can use it). Lists added later are found by a MutationObserver.
// window.merx: { track(root), flush(), pending(), endpoint }.
"use strict";
(() => {
  const script = document.currentScript;
  const origin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  const key = script ? script.getAttribute("data-key") || "" : "";
  const flushMs = Number(script && script.getAttribute("data-flush-ms")) || 2000;
  const endpoint = origin + "/api/feedback" + (key ? "?key=" + encodeURIComponent(key) : "");
  const maxBatch = 500;
  let queue = [];
  const seen = new Set();     // "recommendation|item" already reported as impressions
  const observed = new WeakSet();
  let timer = 0;

  const listOf = el => el.closest("[data-merx-recommendation]");
  const entry = (el, kind) => {
    const list = listOf(el);
    const rec = list && list.getAttribute("data-merx-recommendation");
    const item = el.getAttribute("data-merx-item");
    return rec && item ? { recommendation_id: rec, item, kind } : null;
  };

  function send(batch) {
    const body = JSON.stringify({ feedback: batch });
    const blob = new Blob([body], { type: "text/plain;charset=UTF-8" });
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, blob)) return;
    // A beacon refused (too large, or unsupported): an ordinary request that may outlive the page.
    fetch(endpoint, { method: "POST", body, keepalive: true, headers: { "Content-Type": "text/plain;charset=UTF-8" } }).catch(() => {});
  }

  function flush() {
    clearTimeout(timer); timer = 0;
    while (queue.length) send(queue.splice(0, maxBatch));
  }

  function enqueue(e, now) {
    if (!e) return;
    queue.push(e);
    if (now) flush();
    else if (!timer) timer = setTimeout(flush, flushMs);
  }

  const visibility = "IntersectionObserver" in window ? new IntersectionObserver(entries => {
    for (const x of entries) {
      if (!x.isIntersecting) continue;
      const e = entry(x.target, "impression");
      visibility.unobserve(x.target);
      if (!e) continue;
      const id = e.recommendation_id + "|" + e.item;
      if (seen.has(id)) continue;
      seen.add(id);
      enqueue(e, false);
    }
  }, { threshold: 0.5 }) : null;

  function track(root) {
    const scope = root || document;
    const items = scope.querySelectorAll ? scope.querySelectorAll("[data-merx-recommendation] [data-merx-item]") : [];
    for (const el of items) {
      if (observed.has(el)) continue;
      observed.add(el);
      if (visibility) visibility.observe(el);
    }
  }

  document.addEventListener("click", ev => {
    const el = ev.target instanceof Element ? ev.target.closest("[data-merx-item]") : null;
    if (el && listOf(el)) enqueue(entry(el, "click"), true);
  }, true);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flush(); });
  window.addEventListener("pagehide", flush);
  new MutationObserver(() => track(document)).observe(document.documentElement, { childList: true, subtree: true });
  track(document);

  window.merx = { track, flush, pending: () => queue.slice(), endpoint };
})();
