/* A link to a content tab (#__tabbed_1_2) opens that tab on load. Replaces the theme's inline
 * script (see md-globals.js for why). */
(function () {
  "use strict";
  var target = document.getElementById(location.hash.slice(1));
  if (target && target.name) {
    target.checked = target.name.indexOf("__tabbed_") === 0;
  }
})();
