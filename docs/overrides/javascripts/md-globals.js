/* The four globals mkdocs-material's bundle expects before it loads: __md_scope (the site root,
 * which namespaces saved preferences), __md_hash, __md_get and __md_set (JSON in Web Storage).
 * The theme defines them in an inline <script>; nara serves its docs under a Content Security
 * Policy without 'unsafe-inline', so they are defined here, in a file loaded from 'self'.
 * The template passes the page's relative base URL in data-md-scope. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = (script && script.getAttribute("data-md-scope")) || ".";
  var scope = new URL(base, location.href);

  function storageKey(name, where) {
    return (where || window.__md_scope).pathname + "." + name;
  }

  window.__md_scope = scope;
  // A 32-bit string hash: only used to compare a stored value with the current one.
  window.__md_hash = function (text) {
    var hash = 0;
    for (var i = 0; i < text.length; i++) {
      hash = (hash * 31 + text.charCodeAt(i)) | 0;
    }
    return hash;
  };
  window.__md_get = function (name, storage, where) {
    try {
      return JSON.parse((storage || localStorage).getItem(storageKey(name, where)));
    } catch (e) {
      return null; // storage disabled or value unreadable: behave as if nothing was saved
    }
  };
  window.__md_set = function (name, value, storage, where) {
    try {
      (storage || localStorage).setItem(storageKey(name, where), JSON.stringify(value));
    } catch (e) {
      // storage full or disabled: the preference is simply not remembered
    }
  };
})();
