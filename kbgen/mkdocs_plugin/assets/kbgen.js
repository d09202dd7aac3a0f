/* kbgen: when site search finds nothing, offer the way to support, carrying the query along,
   so a failed search becomes a question an agent can answer and log. */
(function () {
  "use strict";
  var config = /*KBGEN_CONFIG*/ {};
  if (!config.contact_url) return;
  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/assets\/kbgen\/kbgen\.js(\?.*)?$/, "") : "/";

  function contactHref(query) {
    var url = config.contact_url;
    if (!/^[a-z][a-z0-9+.-]*:/i.test(url) && url.charAt(0) !== "/") url = base + url;
    var join = url.indexOf("?") === -1 ? "?" : "&";
    var param = /^mailto:/i.test(url) ? "subject" : config.param || "q";
    return url + join + encodeURIComponent(param) + "=" + encodeURIComponent(query);
  }

  function update() {
    var result = document.querySelector(".md-search-result");
    var list = document.querySelector(".md-search-result__list");
    var input = document.querySelector(".md-search__input");
    if (!result || !list || !input) return;
    var query = input.value.trim();
    var box = result.querySelector(".kbgen-search-contact");
    var empty = query.length > 0 && list.children.length === 0;
    if (!empty) {
      if (box) box.remove();
      return;
    }
    if (box && box.getAttribute("data-query") === query) return;
    if (!box) {
      box = document.createElement("div");
      box.className = "kbgen-search-contact";
      list.parentNode.insertBefore(box, list);
    }
    box.setAttribute("data-query", query);
    box.textContent = "";
    var text = document.createElement("p");
    text.textContent = config.text || "No article answers that yet. Our support team can help.";
    var link = document.createElement("a");
    link.className = "md-button md-button--primary";
    link.href = contactHref(query);
    link.textContent = config.label || "Contact support";
    box.appendChild(text);
    box.appendChild(link);
  }

  var timer = null;
  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(update, 150);
  }
  function watch() {
    var result = document.querySelector(".md-search-result");
    if (result) new MutationObserver(schedule).observe(result, { childList: true, subtree: true, characterData: true });
    document.addEventListener("input", function (event) {
      if (event.target && event.target.classList && event.target.classList.contains("md-search__input")) schedule();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
})();
