// The desk's drop-off page: the scan field keeps the focus, so a scanner that types and presses Enter
// can record bag after bag. Without this script the page still works (autofocus after each reload).
(function () {
  "use strict";
  function focusField() {
    var field = document.getElementById("label");
    if (field) { field.focus(); field.select(); }
  }
  window.addEventListener("pageshow", focusField);
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("scan-form");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      var field = document.getElementById("label");
      if (field && !field.value.trim()) { event.preventDefault(); focusField(); }
    });
  });
})();
