/* Add to basket without leaving the page: the form is posted with fetch and the basket count in the
   header is updated. Without this script (or if the request fails) the form posts normally and the
   server sends the resident back to the same page with a message. */
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) { return; }

  function announce(text) {
    var status = document.querySelector("[data-basket-status]");
    if (status) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
  }

  /* The message shows beside the button; the header's live region says what a screen reader needs
     (the new count, or why nothing was added), so the same words are not read twice. */
  function show(form, text, isError, spoken) {
    var feedback = form.querySelector("[data-add-feedback]");
    if (feedback) {
      feedback.textContent = text;
      feedback.className = "add-feedback" + (isError ? " add-feedback-error" : " add-feedback-ok");
    }
    announce(spoken || text);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("add-to-basket")) { return; }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) { throw new Error("not json"); }
      return response.json().then(function (body) {
        if (response.ok) {
          var count = document.querySelector("[data-basket-count]");
          var label = document.querySelector("[data-basket-label]");
          if (count) { count.textContent = String(body.count); }
          if (label) { label.textContent = " " + body.label; }
          show(form, body.message, false, body.status);
        } else {
          show(form, (body.error && body.error.message) || "", true);
        }
      });
    }).catch(function () {
      form.submit();
    }).then(function () {
      if (button) { button.disabled = false; }
    });
  });
}());
