/* The sandbox's stand-in for Friendbuy's SDK (static.fbot.me/friendbuy.js), loaded before the loader so
   the loader's queue is processed here. It records every push (shown in the page's "Friendbuy SDK log"),
   answers getVisitorStatus with a payload the sandbox signs as Friendbuy does, and on a friend's landing
   (?fbuy=<referralCode> or ?ref=) asks the sandbox for a friend coupon and fires couponReceived. */
(function () {
  var me = document.currentScript;
  var cfg = {status: me.getAttribute("data-status-url"), landing: me.getAttribute("data-landing-url")};
  var KEY = "fbsb_visitor";
  var recorded = window.__fbRecorded = window.__fbRecorded || [];
  var lines = [];
  function plain(value) {
    return JSON.parse(JSON.stringify(value, function (k, v) { return typeof v === "function" ? "<fn>" : v; }));
  }
  function draw() {
    var box = document.getElementById("fb-sdk-log");
    if (!box) { return; }
    box.textContent = "";
    lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      box.appendChild(item);
    });
  }
  function note(text) { lines.push(text); draw(); }
  document.addEventListener("DOMContentLoaded", draw);
  function remembered() {
    try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  function remember(visitor) {
    try { localStorage.setItem(KEY, JSON.stringify(visitor)); } catch (e) {}
  }
  var params = new URLSearchParams(location.search);
  var code = params.get("fbuy") || params.get("ref") || "";
  var landing = Promise.resolve(null);
  if (code) {
    landing = fetch(cfg.landing, {
      method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({referralCode: code})
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (visitor) {
      if (visitor) {
        remember(visitor);
        note("landing: referral " + visitor.referralCode + ", friend coupon " + visitor.couponCode);
      } else {
        note("landing: unknown referral code " + code);
      }
      return visitor;
    }).catch(function () { return null; });
  }
  function visitorStatus(callback) {
    landing.then(function () {
      var visitor = remembered() || {};
      var query = new URLSearchParams({referralCode: visitor.referralCode || "",
                                       attributionId: visitor.attributionId || ""});
      return fetch(cfg.status + "?" + query, {credentials: "same-origin"}).then(function (r) { return r.json(); });
    }).then(function (status) {
      note("getVisitorStatus → " + JSON.stringify(status.payload));
      callback(status);
    }).catch(function (e) { note("getVisitorStatus failed: " + e); });
  }
  function couponReceived(callback) {
    landing.then(function (visitor) {
      if (visitor && visitor.couponCode) {
        note("couponReceived → " + visitor.couponCode);
        callback(visitor.couponCode);
      }
    });
  }
  function handle(cmd) {
    var copy = plain(cmd);
    recorded.push(copy);
    note("push " + JSON.stringify(copy));
    if (cmd[0] === "getVisitorStatus" && typeof cmd[1] === "function") { visitorStatus(cmd[1]); }
    if (cmd[0] === "subscribe" && cmd[1] === "couponReceived" && typeof cmd[2] === "function") {
      couponReceived(cmd[2]);
    }
  }
  var queue = window.friendbuyAPI = window.friendbuyAPI || [];
  var pending = queue.slice();
  queue.length = 0;
  queue.push = function (cmd) { handle(cmd); return queue.length; };
  pending.forEach(handle);
  window.__fbSdkLoaded = true;
})();
