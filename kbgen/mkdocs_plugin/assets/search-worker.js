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

   Both cut-offs were chosen on the even-numbered queries of benchmarks/site_search_queries.json.

   A large help center's index comes split by term (kbgen/search_split.py): the theme's index file
   then holds no documents, only a manifest (config.kbgen), and this worker answers queries itself
   from the pieces it fetches for the query's words (terms/), typos (words/) and best results
   (docs/), scoring as the theme's lunr index would. */
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
  var split = null;  // the split index's reader (Split, below), when the site has one
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

  /* The index's word closest to STEM (a typo: one edit, two for long words), the most used first
     (a letter left out is as common a slip as one mistyped: "limt" is "limit", not "list");
     null when none is that close (the word is then one the help center does not use). */
  function corrected(stem) {
    if (index === null || stem.length < 4) return null;
    var max = stem.length >= 7 ? 2 : 1, best = null, bestDistance = max + 1, bestCount = 0;
    terms().forEach(function (candidate) {
      if (candidate.length < 3 || Math.abs(candidate.length - stem.length) > max) return;
      var found = distance(stem, candidate, max);
      if (found > max || found > bestDistance) return;
      var count = documents(candidate);
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
    var out = [];
    whole = Object.create(null);
    stemmed(query).forEach(function (item) {
      var stem = item.stem;
      if (index !== null && !knownPrefix(stem)) stem = corrected(stem) || stem;
      else if (item.finished && index !== null && index.invertedIndex[stem]
               && lunr.stemmer(new lunr.Token(stem, {})).toString() === stem) whole[stem] = true;
      if (out.indexOf(stem) === -1) out.push(stem);
    });
    return out;
  }

  /* A contraction of function words ("won't", "doesn't", "i'm", "it's"): a stop word as the
     words it stands for are ("will not", "does not"), not a match for "won't start". */
  function contraction(word) {
    if (/n['\u2019]t$/.test(word)) return true;
    var parts = /^([a-z]+)['\u2019](s|m|re|ve|ll|d)$/.exec(word);
    return !!parts && !lunr.stopWordFilter(new lunr.Token(parts[1], {}));
  }

  /* The query's words trimmed, without stop words or query syntax, stemmed as the index was;
     each with whether the customer has finished typing it (a space follows). */
  function stemmed(query) {
    var separator = lunr.tokenizer.separator;
    var text = String(query).toLowerCase().replace(/[*+~^:"]/g, " ");
    var words = text.split(separator);
    var finished = /\s$/.test(text) ? words.length : words.length - 1;
    var out = [];
    words.forEach(function (word, position) {
      word = word.replace(/^-+/, "");
      if (!word) return;
      var token = lunr.trimmer(new lunr.Token(word, {}));
      if (!token || !token.toString() || !lunr.stopWordFilter(token) || contraction(token.toString())) return;
      var stem = lunr.stemmer(token).toString();
      if (stem) out.push({ stem: stem, finished: position < finished });
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
    if (split !== null) return split.weight(stem);
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
    if ((index === null && split === null) || wanted.length === 0) return items;
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
    if (message && message.type === 0 && message.data && message.data.config && message.data.config.kbgen) {
      split = new Split(message.data.config.kbgen, message.data.options || {});
    }
    if (split !== null && message && message.type === 2 && typeof message.data === "string") {
      split.answer(message.data);  // the theme's index is empty: the split index answers
      return;
    }
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
  /* --- the split index (kbgen/search_split.py writes it) -------------------------------------

     Pieces are fetched once each, relative to this worker (assets/javascripts/workers/), so the
     site works under any address; each carries the index's version, so a rebuilt site is never
     answered from an old cache. Scores are the theme's: lunr's BM25 with b = 0 over the same
     fields and boosts, rounded as lunr rounds, then the theme's boost of pages and of results
     that match every word. Only the best `results` pages are returned, with what they show. */

  var K1 = 1.2;

  function Split(manifest, options) {
    this.m = manifest;
    this.base = new URL("../../../search/", self.location.href);
    this.suggest = !!options.suggest;
    this.pieces = Object.create(null);  // address: promise of its content
    this.terms = Object.create(null);  // term: [lunr's count, documents, per field: gap, occurrences, ...]
    this.sorted = Object.create(null);  // term piece number: its terms in order
    this.weights = Object.create(null);
    this.latest = 0;
    var text = String(manifest.sections || ""), digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-";
    var first = [0], pageOf = [];
    for (var at = 0; at < text.length; at++) {
      var count;
      if (text.charAt(at) === ".") {
        var end = text.indexOf(".", at + 1);
        count = parseInt(text.slice(at + 1, end), 10);
        at = end;
      } else count = digits.indexOf(text.charAt(at));
      var page = first.length - 1;
      for (var n = 0; n <= count; n++) pageOf.push(page);
      first.push(first[page] + count + 1);
    }
    this.first = first;  // page: its first document (the page itself; its sections follow)
    this.pageOf = pageOf;  // document: its page
  }

  Split.prototype.fetch = function (path) {
    if (!(path in this.pieces)) {
      var url = new URL(path + "?v=" + encodeURIComponent(this.m.version || ""), this.base);
      this.pieces[path] = fetch(url.href).then(function (response) {
        return response.ok ? response.json() : null;
      }).catch(function () { return null; });
    }
    return this.pieces[path];
  };

  /* The number of the term piece whose range holds TERM (the last whose first term is <= TERM). */
  Split.prototype.piece = function (term) {
    var bounds = this.m.bounds, low = 0, high = bounds.length;
    while (low < high) {
      var middle = (low + high) >> 1;
      if (bounds[middle] <= term) low = middle + 1;
      else high = middle;
    }
    return Math.max(low - 1, 0);
  };

  /* Load the pieces that hold every term beginning with PREFIX (or only TERM itself, if EXACT). */
  Split.prototype.load = function (prefix, exact) {
    var that = this, from = this.piece(prefix), to = exact ? from : this.piece(prefix + "\uffff"), asked = [];
    if (!this.m.bounds.length) return Promise.resolve();
    for (var number = from; number <= to; number++) {
      (function (number) {
        asked.push(that.fetch("terms/" + number + ".json").then(function (content) {
          if (that.sorted[number]) return;
          content = content || {};
          Object.keys(content).forEach(function (term) { that.terms[term] = content[term]; });
          that.sorted[number] = Object.keys(content).sort();
        }));
      })(number);
    }
    return Promise.all(asked);
  };

  /* The index's terms beginning with PREFIX, in order (their pieces loaded). */
  Split.prototype.within = function (prefix) {
    var found = [], to = this.piece(prefix + "\uffff");
    for (var number = this.piece(prefix); number <= to; number++) {
      (this.sorted[number] || []).forEach(function (term) {
        if (term.lastIndexOf(prefix, 0) === 0) found.push(term);
      });
    }
    return found;
  };

  /* The index's word closest to STEM, as `corrected` finds it, among the words whose first or
     second letter is STEM's first or second (every word one edit away is one of them). */
  Split.prototype.correct = function (stem) {
    if (stem.length < 4) return Promise.resolve(null);
    var that = this, keys = [];
    [stem.codePointAt(0), stem.slice(1).codePointAt(0)].forEach(function (code) {
      ["1-", "2-"].forEach(function (place) {
        var key = place + code.toString(16);
        if (keys.indexOf(key) === -1) keys.push(key);
      });
    });
    return Promise.all(keys.map(function (key) { return that.fetch("words/" + key + ".json"); })).then(function (lists) {
      var counts = Object.create(null);
      lists.forEach(function (list) { Object.keys(list || {}).forEach(function (word) { counts[word] = list[word]; }); });
      var max = stem.length >= 7 ? 2 : 1, best = null, bestDistance = max + 1, bestCount = 0;
      Object.keys(counts).sort().forEach(function (candidate) {
        if (candidate.length < 3 || Math.abs(candidate.length - stem.length) > max) return;
        var found = distance(stem, candidate, max);
        if (found > max || found > bestDistance) return;
        var count = counts[candidate];
        if (found < bestDistance || count > bestCount) {
          best = candidate;
          bestDistance = found;
          bestCount = count;
        }
      });
      return best;
    });
  };

  /* How telling a query word is (as `weight`): documents of the first 64 terms it begins. */
  Split.prototype.weight = function (stem) {
    if (stem in this.weights) return this.weights[stem];
    var total = this.m.documents, seen = Object.create(null), count = 0, most = 0, that = this;
    this.within(stem).slice(0, 64).forEach(function (term) {
      var encoded = that.terms[term];
      most = Math.max(most, encoded[1]);
      encoded.slice(2).forEach(function (flat) {
        for (var at = 0, doc = 0; at < flat.length; at += 2) {
          doc += flat[at];
          if (!seen[doc]) { seen[doc] = true; count += 1; }
        }
      });
    });
    count = Math.max(count, most);  // a common term keeps only its strongest documents
    this.weights[stem] = Math.log((total + 1) / (Math.min(count, total) + 0.5));
    return this.weights[stem];
  };

  /* The query's words as the index's stems, each [stem, exact] (see `rewrite` and `query`).
     Only the pieces needed are fetched: a stem of one or two letters is matched exactly, and so
     is a finished word the index holds (its own piece); a word being typed needs the pieces of
     every term it begins; a word the index does not know, the word lists for its correction. */
  Split.prototype.words = function (query) {
    var that = this, stems = stemmed(query);
    function own(stem) { return lunr.stemmer(new lunr.Token(stem, {})).toString() === stem; }
    return Promise.all(stems.map(function (item) {
      if (item.stem.length < 3) return that.load(item.stem, true);
      var first = item.finished && own(item.stem) ? that.load(item.stem, true) : Promise.resolve();
      return first.then(function () {
        if (item.finished && that.terms[item.stem] && own(item.stem)) {
          item.whole = true;
          return null;
        }
        return that.load(item.stem, false).then(function () {
          if (that.within(item.stem).length) return null;
          return that.correct(item.stem).then(function (better) {
            if (!better) return null;
            item.stem = better;
            return that.load(better, false);
          });
        });
      });
    })).then(function () {
      var out = [], exact = Object.create(null);
      stems.forEach(function (item) {
        if (item.whole) exact[item.stem] = true;
        if (out.indexOf(item.stem) === -1) out.push(item.stem);
      });
      return out.map(function (stem) { return [stem, stem.length < 3 || !!exact[stem]]; });
    });
  };

  /* The pages that answer QUERY, as the theme's worker returns them: groups of a page and its
     matching sections, best first, each with its score and which query words it matches. */
  Split.prototype.search = function (query, number) {
    var that = this, m = this.m;
    return this.words(query).then(function (clauses) {
      if (number !== that.latest) return null;  // the customer typed on: not worth the results' pieces
      var wanted = clauses.map(function (clause) { return clause[0]; });
      if (!wanted.length) return { items: [] };
      var vector = Object.create(null);  // the query vector: term -> clauses that reach it
      clauses.forEach(function (clause) {
        var terms = clause[1] ? (that.terms[clause[0]] ? [clause[0]] : []) : that.within(clause[0]);
        terms.forEach(function (term) { vector[term] = (vector[term] || 0) + 1; });
      });
      var magnitude = Math.sqrt(Object.keys(vector).reduce(function (sum, term) {
        return sum + vector[term] * vector[term];
      }, 0));
      var fields = m.fields, boosts = m.boosts || {}, dots = new Map(), matched = new Map();
      Object.keys(vector).forEach(function (term) {
        var encoded = that.terms[term], lunrCount = encoded[0];
        var idf = Math.log(1 + Math.abs((m.documents - lunrCount + 0.5) / (lunrCount + 0.5)));
        for (var field = 0; field < fields.length; field++) {
          var flat = encoded[2 + field] || [], fieldBoost = fields[field][1] || 1;
          for (var at = 0, doc = 0; at < flat.length; at += 2) {
            doc += flat[at];
            var tf = flat[at + 1];
            var score = idf * ((K1 + 1) * tf) / (K1 * (1 - 0 + 0 * 1) + tf);
            score *= fieldBoost;
            score *= boosts[doc] || 1;
            score = Math.round(score * 1000) / 1000;
            var key = doc * fields.length + field;
            dots.set(key, (dots.get(key) || 0) + vector[term] * score);
            var terms = matched.get(doc);
            if (!terms) matched.set(doc, terms = []);
            if (terms.indexOf(term) === -1) terms.push(term);
          }
        }
      });
      var scores = new Map();
      dots.forEach(function (dot, key) {
        var doc = Math.floor(key / fields.length);
        scores.set(doc, (scores.get(doc) || 0) + (dot / magnitude || 0));
      });
      var items = [];
      scores.forEach(function (score, doc) {
        var found = {}, remaining = wanted.slice(), terms = matched.get(doc);
        terms.forEach(function (term) {
          remaining = remaining.filter(function (stem) {
            if (term.lastIndexOf(stem, 0) !== 0) return true;
            found[stem] = true;
            return false;
          });
        });
        remaining.forEach(function (stem) { if (lunr.stopWordFilter(new lunr.Token(stem, {}))) found[stem] = false; });
        var keys = Object.keys(found), page = that.pageOf[doc];
        var boost = +(that.first[page] === doc) + keys.filter(function (key) { return found[key]; }).length / keys.length;
        items.push({ doc: doc, page: page, score: score * (1 + Math.pow(boost, 2)), terms: found, hits: terms });
      });
      items.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
      var groups = new Map();
      items.forEach(function (item) {
        if (!groups.has(item.page)) groups.set(item.page, []);
        groups.get(item.page).push(item);
      });
      var answers = [];
      groups.forEach(function (group, page) {
        if (!group.some(function (item) { return item.doc === that.first[page]; })) {
          group.push({ doc: that.first[page], page: page, score: 0, terms: {}, hits: [] });
        }
        answers.push(group);
      });
      answers = kept(answers, wanted).slice(0, m.results || 10);
      if (number !== that.latest) return null;
      return that.show(answers).then(function (shown) {
        var result = { items: shown };
        if (that.suggest) result.suggest = [];
        return result;
      });
    });
  };

  /* The groups with what each result shows, from the docs/ pieces of their pages. */
  Split.prototype.show = function (groups) {
    var that = this, size = this.m.chunk || 1, wanted = Object.create(null);
    groups.forEach(function (group) { wanted[Math.floor(group[0].page / size)] = true; });
    var numbers = Object.keys(wanted);
    return Promise.all(numbers.map(function (number) { return that.fetch("docs/" + number + ".json"); })).then(function (chunks) {
      var byNumber = Object.create(null);
      numbers.forEach(function (number, at) { byNumber[number] = chunks[at] || []; });
      return groups.map(function (group) {
        return group.map(function (item) {
          var shown = byNumber[Math.floor(item.page / size)][item.page % size] || ["", "", "", [], []];
          var section = item.doc - that.first[item.page] - 1;
          var part = section >= 0 ? shown[4][section] || ["", "", ""] : null;
          var out = {
            location: part ? shown[0] + part[0] : shown[0],
            title: mark(part ? part[1] : shown[1], item.hits),
            text: mark(part ? part[2] : shown[2], item.hits),
            score: item.score,
            terms: item.terms
          };
          if (!part && shown[3] && shown[3].length) out.tags = shown[3].slice();
          return out;
        });
      });
    });
  };

  /* HTML with the words whose stem the result matched marked, as the theme marks them. */
  function mark(html, hits) {
    if (!hits || !hits.length || !html) return html || "";
    return String(html).split(/(<[^>]*>)/).map(function (part) {
      if (part.charAt(0) === "<") return part;
      return part.replace(/[A-Za-z0-9\u00c0-\uffff]+/g, function (word) {
        var stem = lunr.stemmer(new lunr.Token(word.toLowerCase(), {})).toString();
        return hits.indexOf(stem) === -1 ? word : "<mark>" + word + "</mark>";
      });
    }).join("");
  }

  Split.prototype.answer = function (query) {
    var that = this, number = ++this.latest;
    this.search(query, number).then(function (result) {
      if (result && number === that.latest) send({ type: 3, data: result });
    }, function (error) {
      console.warn("kbgen search:", error);
      if (number === that.latest) send({ type: 3, data: { items: [] } });
    });
  };

  replies.forEach(function (message) { send(message); });
  listen("message", handle);
})();
