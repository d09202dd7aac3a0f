/* kbgen: the site search as customers type it.

   The theme's search worker (lunr) appends "*" to every query word for search-as-you-type, and
   lunr does not stem a word with a wildcard, while the index holds stems: "refunds*" never meets
   "refund". Without stemming at index time every function word ("do", "a*") matches most pages.
   This worker loads the theme's own worker (its address is given as ?theme=) and changes only
   what goes in and what comes out:

   - in: each word is trimmed, dropped when it is a stop word, and stemmed the way the index was;
     a word the index does not know is replaced by the closest one it does (a typo: "refnd"); a
     finished word is matched whole, the word being typed as a prefix;
   - out: pages that match too little of what was asked (words weighed by rarity; a word the
     index never uses weighs most) are dropped, so a question nothing answers shows no results
     and the page offers the way to support instead.

   Both cut-offs were chosen on the even-numbered queries of benchmarks/site_search_queries.json. */
(function () {
  "use strict";
  var settings = { min_share: 0.2, sure_share: 0.5 };
  var params = new URLSearchParams(self.location.search);
  var theme = params.get("theme");
  if (!theme) throw new Error("kbgen search worker: no theme worker given");

  var listeners = [];
  var send = self.postMessage.bind(self);
  var listen = self.addEventListener.bind(self);
  self.addEventListener = function (type, listener, options) {
    if (type === "message") listeners.push(listener);
    else listen(type, listener, options);
  };
  var replies = [];
  self.postMessage = function (message) { replies.push(message); };
  importScripts(new URL(theme, self.location.href).href);
  self.addEventListener = listen;

  var lunr = self.lunr;
  var index = null;
  var vocabulary = null;
  var build = lunr.Builder.prototype.build;
  lunr.Builder.prototype.build = function () {
    index = build.apply(this, arguments);
    vocabulary = null;
    return index;
  };

  function terms() {
    if (vocabulary === null && index !== null) vocabulary = Object.keys(index.invertedIndex).sort();
    return vocabulary || [];
  }

  function knownPrefix(stem) {
    var words = terms(), low = 0, high = words.length;
    while (low < high) {
      var middle = (low + high) >> 1;
      if (words[middle] < stem) low = middle + 1;
      else high = middle;
    }
    return low < words.length && words[low].lastIndexOf(stem, 0) === 0;
  }

  function documents(term) {
    var posting = index.invertedIndex[term], seen = Object.create(null), count = 0;
    if (!posting) return 0;
    Object.keys(posting).forEach(function (field) {
      if (field === "_index") return;
      Object.keys(posting[field]).forEach(function (ref) {
        if (!seen[ref]) { seen[ref] = true; count += 1; }
      });
    });
    return count;
  }

  /* Edit distance with transpositions (optimal string alignment), or MAX + 1 once it exceeds MAX. */
  function distance(a, b, max) {
    if (Math.abs(a.length - b.length) > max) return max + 1;
    var before = null, previous = [], current = [];
    for (var j = 0; j <= b.length; j++) previous.push(j);
    for (var i = 1; i <= a.length; i++) {
      current = [i];
      var lowest = i;
      for (j = 1; j <= b.length; j++) {
        var cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
        var value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
        if (before && i > 1 && j > 1 && a.charAt(i - 1) === b.charAt(j - 2) && a.charAt(i - 2) === b.charAt(j - 1)) {
          value = Math.min(value, before[j - 2] + 1);
        }
        current.push(value);
        if (value < lowest) lowest = value;
      }
      if (lowest > max) return max + 1;
      before = previous;
      previous = current;
    }
    return previous[b.length];
  }

  /* The index's word closest to STEM (a typo: one edit, two for long words), the most used first;
     null when none is that close (the word is then one the help center does not use). */
  function corrected(stem) {
    if (index === null || stem.length < 4) return null;
    var max = stem.length >= 7 ? 2 : 1, best = null, bestDistance = max + 1, bestCount = 0;
    terms().forEach(function (candidate) {
      if (candidate.length < 3 || Math.abs(candidate.length - stem.length) > max) return;
      var found = distance(stem, candidate, max);
      if (found > max || found > bestDistance) return;
      var count = documents(candidate) + (candidate.length === stem.length ? 1e6 : 0);  // a slip, not a gap
      if (found < bestDistance || count > bestCount) {
        best = candidate;
        bestDistance = found;
        bestCount = count;
      }
    });
    return best;
  }

  /* The customer's words as stems the index holds, without stop words or query syntax. */
  var whole = Object.create(null);  // stems of words the customer has finished typing

  function rewrite(query) {
    var separator = lunr.tokenizer.separator;
    var text = String(query).toLowerCase().replace(/[*+~^:"]/g, " ");
    var words = text.split(separator);
    var finished = /\s$/.test(text) ? words.length : words.length - 1;
    var out = [];
    whole = Object.create(null);
    words.forEach(function (word, position) {
      word = word.replace(/^-+/, "");
      if (!word) return;
      var token = lunr.trimmer(new lunr.Token(word, {}));
      if (!token || !token.toString() || !lunr.stopWordFilter(token)) return;
      var stem = lunr.stemmer(token).toString();
      if (!stem) return;
      if (index !== null && !knownPrefix(stem)) stem = corrected(stem) || stem;
      else if (position < finished && index !== null && index.invertedIndex[stem]
               && lunr.stemmer(new lunr.Token(stem, {})).toString() === stem) whole[stem] = true;
      if (out.indexOf(stem) === -1) out.push(stem);
    });
    return out;
  }

  /* The query for the theme, which adds "*" to each word (search as you type): a stem of one or
     two letters would then match half the index, and a word the customer has finished typing
     means itself ("sign in" is not "signature"), so those are asked for exactly ("~0"). */
  function query(stems) {
    return stems.map(function (stem) { return stem.length < 3 || whole[stem] ? stem + "~0" : stem; }).join(" ");
  }

  var weights = Object.create(null), total = 0;

  /* How telling a query word is: rare in the index, or absent from it (a subject the help center
     never mentions), weighs more. Material adds "*" to each word, so a word counts the documents
     of every indexed word it begins. */
  function weight(stem) {
    if (stem in weights) return weights[stem];
    if (!total) {
      var refs = Object.create(null);
      Object.keys(index.fieldVectors).forEach(function (key) { refs[key.slice(key.indexOf("/") + 1)] = true; });
      total = Object.keys(refs).length;
    }
    var words = terms(), low = 0, high = words.length, seen = Object.create(null), count = 0;
    while (low < high) {
      var middle = (low + high) >> 1;
      if (words[middle] < stem) low = middle + 1;
      else high = middle;
    }
    for (var at = low; at < words.length && at < low + 64 && words[at].lastIndexOf(stem, 0) === 0; at++) {
      var posting = index.invertedIndex[words[at]];
      Object.keys(posting).forEach(function (field) {
        if (field === "_index") return;
        Object.keys(posting[field]).forEach(function (ref) {
          if (!seen[ref]) { seen[ref] = true; count += 1; }
        });
      });
    }
    weights[stem] = Math.log((total + 1) / (Math.min(count, total) + 0.5));
    return weights[stem];
  }

  /* The share of the query's weight a result page matches, over the page and its sections. */
  function share(group, wanted) {
    var all = 0, hit = 0;
    wanted.forEach(function (stem) {
      var value = weight(stem);
      all += value;
      if (group.some(function (item) { return item && item.terms && item.terms[stem]; })) hit += value;
    });
    return all > 0 ? hit / all : 0;
  }

  /* Pages that match enough of what was asked (min_share of its weight), in the theme's order.
     A page matching less than sure_share is shown but marked unsure, for the page to offer the
     way to support beside it: its scores are made negative (the page reads them from the
     results' data-md-score; the theme only compares scores within a page). */
  function kept(items, wanted) {
    if (index === null || wanted.length === 0) return items;
    return items.filter(function (group) {
      var value = share(group, wanted);
      if (value < settings.sure_share) {
        group.forEach(function (item) { if (item) item.score = -Math.abs(item.score) - 0.01; });
      }
      return value >= settings.min_share;
    });
  }

  var asked = [];  // the words of each query sent on, in order: the theme answers queries in turn
  function handle(event) {
    var message = event.data;
    if (message && message.type === 2 && typeof message.data === "string") {
      var wanted = rewrite(message.data);
      asked.push(wanted);
      message = { type: 2, data: query(wanted) };
    }
    listeners.forEach(function (listener) { listener.call(self, { data: message }); });
  }

  self.postMessage = function (message) {
    if (message && message.type === 3 && message.data && Array.isArray(message.data.items)) {
      var wanted = asked.shift();
      if (wanted) message.data.items = kept(message.data.items, wanted);
    }
    send(message);
  };
  replies.forEach(function (message) { send(message); });
  listen("message", handle);
})();
