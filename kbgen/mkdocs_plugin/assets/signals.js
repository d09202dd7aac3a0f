/* kbgen: the site's signals to the team service (the api_url option). Only a site built with
   api_url carries this script; it sends two kinds of signal and nothing else:
   - "Was this helpful?" on an article: yes, or no with an optional reason;
   - a search that settled (unchanged for 1.5 s, or left: a result or "contact support" clicked,
     the search closed, the page left) with no result, or that ended on "contact support".
   Once per settled query, never per keystroke; never a query that looks like an e-mail address
   or a phone, card or account number; no cookie, no identifier, no address of the page. */
(function () {
  "use strict";
  var config = /*KBGEN_CONFIG*/ {};
  if (!config.api_url) return;
  var endpoint = config.api_url.replace(/\/+$/, "") + "/v1/signals";
  var SETTLE_MS = 1500;
  var MAX_QUERY = 200;
  var MAX_REASON = 500;

  /* text/plain: a "simple" cross-origin request (no preflight), which the service reads as JSON.
     fetch with keepalive outlives the page (a search settled by leaving it) and sends no cookie
     and no referrer; sendBeacon where there is no fetch. */
  function post(body) {
    var text = JSON.stringify(body);
    if (window.fetch) {
      try {
        return fetch(endpoint, { method: "POST", mode: "cors", credentials: "omit", keepalive: true,
                                 referrerPolicy: "no-referrer", headers: { "Content-Type": "text/plain" }, body: text })
          .then(function (response) { return response.ok; }, function () { return false; });
      } catch (e) { /* an old browser's fetch without these options: try the beacon */ }
    }
    try {
      return Promise.resolve(!!(navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([text], { type: "text/plain" }))));
    } catch (e) {
      return Promise.resolve(false);
    }
  }

  /* Personal data the browser never sends: e-mail addresses, and runs of 7 or more digits (phone,
     card and account numbers), spaces, dots, dashes or brackets between them or not. */
  var PERSONAL = [/[^\s@]+@[^\s@]+\.[^\s@]+/, /(?:\d[\s().\/-]*){7,}/];
  function personal(text) {
    for (var i = 0; i < PERSONAL.length; i++) if (PERSONAL[i].test(text)) return true;
    return false;
  }

  /* --- "Was this helpful?" ------------------------------------------------------------------ */

  function feedback() {
    var box = document.querySelector(".kbgen-feedback[data-slug]");
    if (!box || box.getAttribute("data-ready")) return;
    box.setAttribute("data-ready", "1");
    box.hidden = false;
    var slug = box.getAttribute("data-slug");
    var form = box.querySelector(".kbgen-feedback-why");
    var reason = box.querySelector("textarea");
    var status = box.querySelector(".kbgen-feedback-status");
    var no = box.querySelector("button[data-helpful=false]");
    var votes = box.querySelectorAll(".kbgen-feedback-votes button");
    var done = false;
    var pendingNo = false;

    function finish(body) {
      done = true;
      pendingNo = false;
      for (var i = 0; i < votes.length; i++) votes[i].disabled = true;
      form.hidden = true;
      status.textContent = "Sending…";
      post(body).then(function (ok) {
        status.textContent = ok ? "Thank you for your feedback." : "Sorry, your feedback could not be sent.";
      });
    }
    box.querySelector("button[data-helpful=true]").addEventListener("click", function () {
      if (done) return;
      this.setAttribute("aria-pressed", "true");
      finish({ type: "feedback", slug: slug, helpful: true });
    });
    no.addEventListener("click", function () {
      if (done) return;
      pendingNo = true;
      no.setAttribute("aria-pressed", "true");
      form.hidden = false;
      no.setAttribute("aria-expanded", "true");
      reason.focus();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (done) return;
      var text = reason.value.trim().slice(0, MAX_REASON);
      finish(text ? { type: "feedback", slug: slug, helpful: false, reason: text }
                  : { type: "feedback", slug: slug, helpful: false });
    });
    /* "No" clicked and the page left without sending: the vote still counts, without a reason. */
    function leave() {
      if (pendingNo && !done) {
        done = true;
        post({ type: "feedback", slug: slug, helpful: false });
      }
    }
    window.addEventListener("pagehide", leave);
  }

  /* --- searches ----------------------------------------------------------------------------- */

  var sent = {};  // queries already reported from this page: once each
  var timer = null;
  var current = "";

  function input() {
    return document.querySelector(".md-search__input");
  }
  function resultCount() {
    return document.querySelectorAll(".md-search-result__list > li.md-search-result__item").length;
  }
  function ready() {
    var meta = document.querySelector(".md-search-result__meta");
    var text = meta ? meta.textContent.trim() : "";
    return text !== "" && !/^initiali[sz]ing/i.test(text) && !/^type to start/i.test(text);
  }

  /* The query settled: report it if nothing was found, or (CONTACT) the customer went to support. */
  function settle(contact) {
    if (timer) { clearTimeout(timer); timer = null; }
    var box = input();
    var query = (box ? box.value : current).replace(/\s+/g, " ").trim();
    if (!query || sent[query.toLowerCase()]) return;
    if (!ready() && !contact) return;
    var results = resultCount();
    if (results > 0 && !contact) return;
    sent[query.toLowerCase()] = true;
    if (personal(query)) return;  // settled, and not sent: the service redacts, the browser sends none
    var body = { type: "search", query: query.slice(0, MAX_QUERY), results: results };
    if (contact) body.contact = true;  // a failed search even with results: they did not answer it
    post(body);
  }

  function watchSearch() {
    document.addEventListener("input", function (event) {
      var target = event.target;
      if (!target || !target.classList || !target.classList.contains("md-search__input")) return;
      current = target.value;
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () { settle(false); }, SETTLE_MS);
    }, true);
    document.addEventListener("click", function (event) {
      var link = event.target && event.target.closest ? event.target.closest("a") : null;
      if (!link) return;
      if (link.closest(".kbgen-search-contact")) settle(true);
      else if (link.closest(".md-search-result")) settle(false);
    }, true);
    var toggle = document.getElementById("__search");
    if (toggle) toggle.addEventListener("change", function () { if (!toggle.checked) settle(false); });
    window.addEventListener("pagehide", function () { settle(false); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") settle(false);
    });
  }

  function start() {
    watchSearch();
    /* with the theme's instant navigation, pages change without a load: set the widget up on each */
    if (window.document$ && typeof window.document$.subscribe === "function") {
      window.document$.subscribe(function () { feedback(); });
    } else {
      feedback();
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
