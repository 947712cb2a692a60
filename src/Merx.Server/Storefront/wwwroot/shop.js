// The demo storefront (GET /shop): what a shop's customer sees. It asks Merx for a list and renders it with
// the beacon's markup (data-merx-recommendation on the list, data-merx-item on each product); /merx.js
// reports the impressions and clicks. ?user= picks the signed-in customer, ?item= shows a product page
// with recommendations in its context.
"use strict";
(() => {
  const $ = id => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const user = params.get("user") || "u1";
  const item = params.get("item");
  const key = (document.querySelector("script[data-key]") || { getAttribute: () => "" }).getAttribute("data-key");
  $("user").value = user;

  const h = (tag, attrs, ...children) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, v);
    for (const c of children) el.append(c);
    return el;
  };
  const link = id => "/shop?" + new URLSearchParams({ user, item: id }).toString();

  async function load() {
    const q = new URLSearchParams({ n: "8" });
    if (item) { q.set("page", "item"); q.set("item", item); }
    const r = await fetch(`/api/users/${encodeURIComponent(user)}/recommendations?${q}`, { headers: key ? { "X-Api-Key": key } : {} });
    if (!r.ok) throw new Error((await r.json().catch(() => ({}))).detail || `recommendations: HTTP ${r.status}`);
    return r.json();
  }

  function render(body) {
    const list = $("recommendations");
    list.setAttribute("data-merx-recommendation", body.recommendation_id);
    list.replaceChildren(...body.items.map(x => h("li", { class: "product", "data-merx-item": x.item },
      h("a", { href: link(x.item) },
        h("div", { class: "thumb" }, (x.title || x.item).slice(0, 1).toUpperCase()),
        h("div", { class: "title" }, x.title || x.item),
        h("div", { class: "cat" }, x.category || ""),
        h("div", { class: "why" }, x.reason || "")))));
    $("list-note").textContent = `${body.items.length} items · recommendation ${body.recommendation_id}` + (body.model ? ` · ${body.model.name} v${body.model.version}` : "");
    if (window.merx) window.merx.track(list);
  }

  async function main() {
    if (item) {
      $("product").hidden = false;
      $("back").href = "/shop?" + new URLSearchParams({ user }).toString();
      $("product-title").textContent = item;
      $("list-title").textContent = "Customers who viewed this also viewed";
    }
    try {
      const body = await load();
      render(body);
      document.body.setAttribute("data-ready", "true");
    } catch (e) {
      $("error").textContent = String(e.message || e);
      $("error").hidden = false;
    }
  }
  main();
})();
