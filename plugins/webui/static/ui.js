/* Domus web UI: small progressive enhancements; every page works without this file.
 * - the outline menu on phones opens and closes in place;
 * - category toggles, sorting and paging of a view replace the page's main part without reloading;
 * - arrow keys move between the rows of a view. */
(function () {
  "use strict";

  function menu() {
    var button = document.querySelector(".menu-button");
    var outline = document.getElementById("outline");
    if (!button || !outline) return;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var open = outline.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) { var first = outline.querySelector("a"); if (first) first.focus(); }
    });
  }

  function swap(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) {
        if (!answer.ok) throw new Error(answer.status);
        return answer.text();
      })
      .then(function (html) {
        // The whole main part: the table, the pager and the tools that carry the view's state.
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        var main = document.getElementById("main");
        if (!fresh || !main || !fresh.querySelector("#view-region")) throw new Error("no view");
        main.replaceWith(fresh);
        history.replaceState(null, "", url);
      });
  }

  function swaps() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[data-swap]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      var label = link.textContent;
      swap(link.href).then(function () {
        // Keep the keyboard where it was: on the link with the same words in the new table.
        var same = Array.prototype.find.call(document.querySelectorAll("#view-region a[data-swap]"),
          function (a) { return a.textContent === label; });
        if (same) same.focus();
      }).catch(function () { window.location.href = link.href; });
    });
  }

  function rowKeys() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      var region = document.getElementById("view-region");
      if (!region || !region.contains(document.activeElement)) return;
      var links = Array.prototype.slice.call(region.querySelectorAll("tbody a"));
      var at = links.indexOf(document.activeElement);
      if (at < 0) return;
      var next = links[at + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) { next.focus(); event.preventDefault(); }
    });
  }

  menu();
  swaps();
  rowKeys();
})();
