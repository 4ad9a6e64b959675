  var C = __FBC_CONFIG__;
  var fb = window.friendbuyAPI = window.friendbuyAPI || [];
  function api(path, body) {
    return fetch(C.api + path + "?store=" + encodeURIComponent(C.store), {
      method: "POST", mode: "cors", credentials: "omit",
      headers: {"Content-Type": "application/json", "X-Store-Id": C.store},
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; });
  }
  function customerJwt() {
    // Guests get a 404 from BigCommerce; {{customer.id}} renders empty for them on Stencil pages.
    if ("{{customer.id}}" === "") { return Promise.resolve(null); }
    return fetch("/customer/current.jwt?app_client_id=" + encodeURIComponent(C.clientId), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .catch(function () { return null; });
  }
  function deviceId() {
    var m = document.cookie.match(/(?:^|;\s*)fbc_device=([0-9a-f-]{36})/);
    var id = m ? m[1] : (window.crypto && crypto.randomUUID ? crypto.randomUUID() :
      "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
        var r = Math.random() * 16 | 0; return (c === "x" ? r : (r & 3 | 8)).toString(16); }));
    document.cookie = "fbc_device=" + id + "; path=/; max-age=31536000; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
    return id;
  }
