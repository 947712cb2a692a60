// The key page (a browser that is not on the server's machine): a key kept from earlier in this tab opens the
// dashboard again without typing; a key the server refused is forgotten.
"use strict";
(() => {
  const given = new URLSearchParams(location.search).has("key");
  const kept = sessionStorage.getItem("merx-key");
  if (given) sessionStorage.removeItem("merx-key");
  else if (kept) location.replace("/?key=" + encodeURIComponent(kept));
})();
