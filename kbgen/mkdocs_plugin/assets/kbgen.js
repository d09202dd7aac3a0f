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
    var param = /^mailto:/i.test(url) ? "subject" : config.param || "question";
    return url + join + encodeURIComponent(param) + "=" + encodeURIComponent(query);
  }

  /* No results, or a best result kbgen's search worker marked unsure (it matches too little of
     what was asked: a negative score): offer the way to support, carrying the query. */
  function update() {
    var result = document.querySelector(".md-search-result");
    var list = document.querySelector(".md-search-result__list");
    var input = document.querySelector(".md-search__input");
    if (!result || !list || !input) return;
    var query = input.value.trim();
    var box = result.querySelector(".kbgen-search-contact");
    var first = list.querySelector("li.md-search-result__item");
    var empty = query.length > 0 && !first;
    var scored = first && first.querySelector("[data-md-score]");
    var weak = query.length > 0 && !!scored && parseFloat(scored.getAttribute("data-md-score")) < 0;
    if (!empty && !weak) {
      if (box) box.remove();
      return;
    }
    var state = (empty ? "none:" : "weak:") + query;
    if (box && box.getAttribute("data-query") === state) return;
    if (!box) {
      box = document.createElement("div");
      box.className = "kbgen-search-contact";
      box.setAttribute("role", "status");
      list.parentNode.insertBefore(box, list);
    }
    box.setAttribute("data-query", state);
    box.textContent = "";
    var text = document.createElement("p");
    text.textContent = empty ? config.text || "No article answers that yet. Our support team can help."
                             : config.weak_text || "Not quite what you asked? Our support team can help.";
    var link = document.createElement("a");
    link.href = contactHref(query);
    link.textContent = config.label || "Contact support";
    box.appendChild(text);
    box.appendChild(link);
  }

  /* On the contact page, show the question the customer searched for, to copy into the message. */
  function carried() {
    var target = new URL(contactHref(""), window.location.href);
    if (target.origin !== window.location.origin || target.pathname !== window.location.pathname) return;
    var question = new URLSearchParams(window.location.search).get(config.param || "question");
    var content = document.querySelector(".md-content__inner");
    if (!question || !content || content.querySelector(".kbgen-carried")) return;
    var note = document.createElement("div");
    note.className = "admonition info kbgen-carried";
    note.setAttribute("role", "status");
    var title = document.createElement("p");
    title.className = "admonition-title";
    title.textContent = "You searched for";
    var text = document.createElement("p");
    text.textContent = question.slice(0, 500);
    note.appendChild(title);
    note.appendChild(text);
    var heading = content.querySelector("h1");
    content.insertBefore(note, heading ? heading.nextSibling : content.firstChild);
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
  /* The theme's search is a dialog without a name: screen readers announce it as "dialog". */
  function label() {
    var dialog = document.querySelector(".md-search[role=dialog]");
    if (dialog && !dialog.getAttribute("aria-label")) dialog.setAttribute("aria-label", "Search the help center");
  }

  /* The home page's search box hands over to the theme's search (full screen on a phone). */
  function hero() {
    var form = document.querySelector(".kbgen-hero-search");
    var toggle = document.getElementById("__search");
    var input = document.querySelector(".md-search__input");
    if (!form || !toggle || !input) return;
    var field = form.querySelector("input");
    function open(event) {
      if (event) event.preventDefault();
      if (!toggle.checked) {
        toggle.checked = true;
        toggle.dispatchEvent(new Event("change"));
      }
      input.value += field.value;  // what was typed before the theme's box took the focus
      field.value = "";
      input.focus();
      setTimeout(function () {
        input.focus();
        input.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
      }, 50);
    }
    form.addEventListener("submit", open);
    field.addEventListener("input", function () { open(null); });
    field.addEventListener("click", function () { open(null); });
  }

  function start() {
    hero();
    label();
    watch();
    carried();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
