/* Catalog pages reach a visitor without a session with no security token in their forms (so with no
   cookie either). When such a form is sent, ask the server for a token first, fill it into every form of
   the page, then send the form on (basket.js then posts it as usual). Without this script the server
   answers a page to confirm, which carries a token. */
(function () {
  "use strict";
  if (!window.fetch) { return; }
  var script = document.currentScript;
  var url = (script && script.getAttribute("data-token-url")) || "/jeton-csrf";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var field = form.querySelector ? form.querySelector("input[name=csrf_token]") : null;
    if (!field || field.value) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        var fields = document.querySelectorAll("input[name=csrf_token]");
        for (var i = 0; i < fields.length; i += 1) {
          if (!fields[i].value) { fields[i].value = body.csrf_token; }
        }
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      })
      .catch(function () { form.submit(); });
  }, true);
}());
