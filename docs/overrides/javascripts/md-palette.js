/* Applies the colour scheme the reader chose earlier (light/dark toggle) before the page is
 * painted, so a dark-mode reader does not see a white flash. Loaded right after the palette
 * form in the header; replaces the theme's inline script (see md-globals.js for why). */
(function () {
  "use strict";
  var saved = window.__md_get && window.__md_get("__palette");
  if (!saved || !saved.color) {
    return;
  }
  var color = saved.color;
  if (color.media === "(prefers-color-scheme)") {
    // "Follow the system": pick whichever toggle matches the current system preference.
    var light = window.matchMedia("(prefers-color-scheme: light)").matches;
    var wanted = "(prefers-color-scheme: " + (light ? "light" : "dark") + ")";
    var inputs = document.querySelectorAll("[data-md-color-media]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].getAttribute("data-md-color-media") === wanted) {
        ["media", "scheme", "primary", "accent"].forEach(function (key) {
          color[key] = inputs[i].getAttribute("data-md-color-" + key);
        });
        break;
      }
    }
  }
  Object.keys(color).forEach(function (key) {
    if (color[key] !== null && color[key] !== undefined) {
      document.body.setAttribute("data-md-color-" + key, color[key]);
    }
  });
})();
