// Accessibility helpers (loaded in <head>, not deferred, so the "js" class is set before paint).
// - The main menu collapses behind a real button on narrow screens; the button opens it.
// - Every wide table scrolls in a region of its own that the keyboard can reach.
// - A failed form's error summary takes the focus, so it is read first.
document.documentElement.classList.add("js");

(function () {
  // A region is named by its table's caption, else the heading just before it, else its
  // section's heading; a name already taken on the page gets a number (landmarks are unique).
  var used = {};

  function heading(box) {
    var node = box.previousElementSibling;
    for (var steps = 0; node && steps < 4; steps += 1, node = node.previousElementSibling) {
      if (/^H[1-4]$/.test(node.tagName)) {
        return node.textContent.trim();
      }
    }
    var section = box.closest("section, .card, article, main");
    var title = section && section.querySelector("h1, h2, h3");
    return title ? title.textContent.trim() : document.title;
  }

  function label(box) {
    var table = box.querySelector("table");
    var caption = table && table.caption;
    var name = caption && caption.textContent.trim() ? caption.textContent.trim() : heading(box);
    name = name.replace(/\s+/g, " ");
    used[name] = (used[name] || 0) + 1;
    return used[name] > 1 ? name + " (" + used[name] + ")" : name;
  }

  function taken() {
    document.querySelectorAll("section[aria-labelledby], section[aria-label], [role=region]:not([data-scroll-region])").forEach(function (landmark) {
      var by = landmark.getAttribute("aria-labelledby");
      var named = by ? document.getElementById(by) : null;
      var name = (named ? named.textContent : landmark.getAttribute("aria-label") || "").trim().replace(/\s+/g, " ");
      if (name && !landmark.dataset.counted) {
        landmark.dataset.counted = "yes";
        used[name] = (used[name] || 0) + 1;
      }
    });
  }

  function regions(root) {
    var scope = root && root.querySelectorAll ? root : document;
    taken();
    scope.querySelectorAll("main table").forEach(function (table) {
      if (!table.closest(".scroll, .sli-json") && !table.parentElement.closest("table")) {
        var box = document.createElement("div");
        box.className = "scroll";
        table.parentNode.insertBefore(box, table);
        box.appendChild(table);
      }
    });
    scope.querySelectorAll(".scroll, .sli-json, pre.json").forEach(function (box) {
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", label(box));
      }
      box.setAttribute("data-scroll-region", "");
    });
    reachable();
  }

  // Only a region that really scrolls is a tab stop.
  function reachable() {
    document.querySelectorAll("[data-scroll-region]").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls) {
        box.setAttribute("tabindex", "0");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
      }
    });
  }

  function menu() {
    var button = document.querySelector(".navtoggle");
    var nav = button && button.closest(".mainnav");
    if (!button || button.dataset.ready) {
      return;
    }
    button.dataset.ready = "yes";
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("mainnav--open", open);
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        button.click();
        button.focus();
      }
    });
  }

  function summary() {
    var box = document.querySelector(".error-summary");
    if (box) {
      box.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    menu();
    regions(document);
    summary();
  });
  document.addEventListener("htmx:load", function (event) {
    regions(event.target);
  });
  window.addEventListener("resize", reachable);
})();
