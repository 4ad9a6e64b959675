/* Stand-in for https://static.fbot.me/friendbuy.js: records every push and answers the commands the
   installed scripts use. __VISITOR_STATUS__ and __FRIEND_COUPON__ are filled in by the test. */
(function () {
  var queue = window.friendbuyAPI || [];
  var recorded = window.__fbRecorded = window.__fbRecorded || [];
  function handle(cmd) {
    recorded.push(JSON.parse(JSON.stringify(cmd, function (k, v) { return typeof v === "function" ? "<fn>" : v; })));
    if (cmd[0] === "getVisitorStatus") { setTimeout(function () { cmd[1](__VISITOR_STATUS__); }, 0); }
    if (cmd[0] === "subscribe" && cmd[1] === "couponReceived") {
      setTimeout(function () { cmd[2](__FRIEND_COUPON__); }, 50);
    }
  }
  var pending = queue.slice();
  queue.length = 0;
  queue.push = function (cmd) { handle(cmd); return queue.length; };
  pending.forEach(handle);
  window.__fbSdkLoaded = true;
})();
