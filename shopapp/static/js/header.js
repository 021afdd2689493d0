/* The header's search box: suggestions as the resident types (the WAI-ARIA combobox pattern with a
   listbox popup). Without this script it is a plain GET form to the catalog search. */
(function () {
  "use strict";
  function setUpSuggestions() {
    var form = document.querySelector(".header-search");
    var input = document.getElementById("site-search");
    var list = document.getElementById("site-search-suggestions");
    var status = document.getElementById("site-search-status");
    if (!form || !input || !list || !window.fetch) { return; }
    var url = form.getAttribute("data-suggest-url");
    var kinds = {
      product: form.getAttribute("data-kind-product") || "",
      shop: form.getAttribute("data-kind-shop") || "",
      category: form.getAttribute("data-kind-category") || ""
    };
    var items = [];
    var active = -1;
    var timer = null;
    var lastQuery = "";

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      active = index;
      for (var i = 0; i < options.length; i += 1) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(found) {
      items = found;
      list.textContent = "";
      found.forEach(function (item, index) {
        var option = document.createElement("li");
        option.id = "site-search-option-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.setAttribute("data-url", item.url);
        var label = document.createElement("span");
        label.textContent = item.label;
        var kind = document.createElement("span");
        kind.className = "suggestion-kind";
        kind.textContent = kinds[item.kind] || "";
        option.appendChild(label);
        option.appendChild(kind);
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { window.location.assign(item.url); });
        list.appendChild(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (found.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      if (status) {
        var label = found.length === 1 ? form.getAttribute("data-count-one") : form.getAttribute("data-count-many");
        status.textContent = found.length ? (label || "").replace("#", String(found.length)) : "";
      }
    }

    function load() {
      var query = input.value.trim();
      lastQuery = query;
      if (query.length < 2) { render([]); return; }
      fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { items: [] }; })
        .then(function (data) { if (query === lastQuery) { render(data.items || []); } })
        .catch(function () { render([]); });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(load, 150);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { if (items.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); highlight(0); } else { load(); } return; }
        highlight(active + 1 >= items.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp") {
        if (!open) { return; }
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          window.location.assign(items[active].url);
        }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); } else if (input.value) { event.preventDefault(); input.value = ""; }
      }
    });

    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
  }

  function start() { setUpSuggestions(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
