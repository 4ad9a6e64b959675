/* BC×Friendbuy account widget: "Refer a friend / My rewards" on the shopper's account pages.
   Served immutable at /api/storefront/v1/widget.<hash>.js?store=<public id>; no framework, no innerHTML. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || window.__fbcWidget) { return; }
  window.__fbcWidget = true;
  var src = new URL(me.src);
  var store = src.searchParams.get("store") || "";
  var api = src.origin + "/api/storefront/v1";
  var clientId = src.searchParams.get("client_id") || "";

  function isAccountPage() {
    return !!document.querySelector("[data-fbc-widget], #fbc-widget") ||
      /^\/account\.php/.test(location.pathname) || document.body.classList.contains("page-type-account");
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function get(path, token) {
    return fetch(api + path + "?store=" + encodeURIComponent(store), {
      mode: "cors", credentials: "omit", headers: {"Authorization": "Bearer " + token, "X-Store-Id": store}
    }).then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return null; });
  }
  function mount() {
    var host = document.querySelector("[data-fbc-widget], #fbc-widget");
    if (!host) {
      host = el("div", {id: "fbc-widget"});
      (document.querySelector(".account, main, #main-content") || document.body).appendChild(host);
    }
    return host;
  }
  function render(host, link, rewards, loyalty) {
    var panel = el("section", {"class": "fbc-panel", "aria-label": "Refer a friend"});
    panel.appendChild(el("h2", {}, "Refer a friend"));
    if (link && link.link) {
      var input = el("input", {"class": "fbc-link", readonly: "readonly", value: link.link});
      var copy = el("button", {type: "button", "class": "fbc-copy"}, "Copy link");
      copy.addEventListener("click", function () {
        input.select();
        if (navigator.clipboard) { navigator.clipboard.writeText(link.link); } else { document.execCommand("copy"); }
        copy.textContent = "Copied";
      });
      panel.appendChild(input);
      panel.appendChild(copy);
      if (link.referralCode) { panel.appendChild(el("p", {"class": "fbc-code"}, "Your code: " + link.referralCode)); }
    } else {
      panel.appendChild(el("p", {"class": "fbc-muted"}, "Your referral link is not available right now."));
    }
    panel.appendChild(el("h2", {}, "My rewards"));
    var items = (rewards && rewards.rewards) || [];
    if (!items.length) {
      panel.appendChild(el("p", {"class": "fbc-empty"}, "No rewards yet. Share your link to earn some."));
    } else {
      var list = el("ul", {"class": "fbc-rewards"});
      items.forEach(function (r) {
        var value = r.discount_kind === "percentage" ? r.amount + "% off" : r.amount + " " + r.currency;
        var label = {store_credit: "Store credit", gift_certificate: "Gift certificate"}[r.kind] || "Coupon";
        var status = r.redeemed ? "used" : (r.usable ? (r.expiry ? "use by " + r.expiry.slice(0, 10) : "ready to use")
                                                     : r.state);
        var item = el("li", {"class": "fbc-reward fbc-" + (r.kind || "coupon")},
                      [label + ":", value, r.code ? "— " + r.code : "", "(" + status + ")"].join(" "));
        if (r.how_to_use) { item.appendChild(el("span", {"class": "fbc-how"}, " " + r.how_to_use)); }
        list.appendChild(item);
      });
      panel.appendChild(list);
    }
    if (loyalty && loyalty.balance !== undefined) {
      panel.appendChild(el("p", {"class": "fbc-balance"}, "Points balance: " + loyalty.balance + " " + (loyalty.currency || "")));
      if (loyalty.storeCredit && Number(loyalty.storeCredit) > 0) {
        panel.appendChild(el("p", {"class": "fbc-credit"},
          "Store credit: " + loyalty.storeCredit + " " + (loyalty.currency || "") + " (applied automatically at checkout)"));
      }
      if (loyalty.tier) { panel.appendChild(el("p", {"class": "fbc-tier"}, "Tier: " + loyalty.tier)); }
    }
    host.replaceChildren(panel);
  }
  function start() {
    if (!isAccountPage()) { return; }
    var jwtUrl = "/customer/current.jwt" + (clientId ? "?app_client_id=" + encodeURIComponent(clientId) : "");
    fetch(jwtUrl, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (token) {
        if (!token) { return; }
        return Promise.all([get("/me/referral-link", token), get("/me/rewards", token), get("/me/loyalty", token)])
          .then(function (got) { render(mount(), got[0], got[1], got[2]); });
      }).catch(function () {});
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
