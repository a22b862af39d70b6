// The 2020 Iowa caucus math and report checks, for the volunteer's results form: the
// delegates and the findings show as the volunteer types. A plain script, no build step.
//
// The server decides. This is a copy of hotline/caucus/iowa2020.py and
// hotline/caucus/checks.py (iowa-caucus-2020 rules only) for the browser's benefit; on
// POST /console/results the server checks the report again with the Python and refuses
// or accepts it by its own findings. tests/integration/test_caucus_js.py holds this file
// to the Python on the worked case (Adair 1NW) and a batch of random reports, findings'
// messages included (a warning's tick names its message).
//
// Arithmetic is exact: a group's raw delegates are count x delegates / attendance, and
// every raw share has the same denominator (attendance), so its fraction is compared by
// its integer numerator, (count x delegates) mod attendance: .5 is 2r == attendance.
//
// In Node, `require("./caucus.js")` gives the functions; in a page, window.HotlineCaucus.
(function (root) {
  "use strict";

  var EXTRA = "one more delegate";
  var KEEP = "keeping a delegate";
  var SINGLE = "the precinct's only delegate";

  function whole(value) {
    return typeof value === "number" && Number.isInteger(value);
  }

  function byKey(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  // Python's repr of a value the checks name (an int, or the text that was typed).
  function repr(value) {
    if (value === null || value === undefined) return "None";
    if (typeof value === "number") return String(value);
    var text = String(value);
    return text.indexOf("'") >= 0 && text.indexOf('"') < 0
      ? '"' + text + '"' : "'" + text.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
  }

  // 2020 Caucus Guide, viability: 1 delegate, no preference groups (null); 2 delegates,
  // 25% of attendees; 3, one sixth; 4 or more, 15%; always rounded up.
  function viabilityThreshold(attendance, delegates) {
    if (delegates <= 1) return null;
    if (delegates === 2) return Math.floor((attendance + 3) / 4);
    if (delegates === 3) return Math.floor((attendance + 5) / 6);
    return Math.floor((attendance * 15 + 99) / 100);
  }

  function Tosses(tosses) {
    this.unused = (tosses || []).slice();
    this.ties = [];
  }

  Tosses.prototype.settle = function (between, stake) {
    var group = between.slice().sort(byKey);
    for (var i = 0; i < this.unused.length; i++) {
      var toss = this.unused[i];
      var sorted = toss.between.slice().sort(byKey);
      if (sorted.join(",") === group.join(",") && group.indexOf(toss.winner) >= 0) {
        this.unused.splice(i, 1);
        this.ties.push({ between: group, stake: stake, settled_by: toss });
        return toss.winner;
      }
    }
    this.ties.push({ between: group, stake: stake, settled_by: null });
    return null;
  };

  // The delegates and SDEs each final-alignment group earns (iowa2020.allocate).
  // report: {attendance, first: {key: n}, final: {key: n}, coin_tosses: [{between, winner}]}
  // rules: {delegates, sde_ratio}
  function allocate(report, rules) {
    var attendance = whole(report.attendance) ? report.attendance : 0;
    var final = {};
    Object.keys(report.final || {}).sort(byKey).forEach(function (key) {
      var count = report.final[key];
      if (whole(count) && count > 0) final[key] = count;
    });
    var keys = Object.keys(final);
    var threshold = viabilityThreshold(Math.max(attendance, 0), rules.delegates);
    var empty = { threshold: threshold, viable: [], delegates: {}, sdes: {}, ties: [] };
    if (rules.delegates === 0 || attendance <= 0 || !keys.length) return empty;
    var tosses = new Tosses(report.coin_tosses);
    var delegates, viable;
    if (rules.delegates === 1) {
      // A one-delegate precinct: the most support wins (a tie: coin toss).
      var top = Math.max.apply(null, keys.map(function (k) { return final[k]; }));
      var leaders = keys.filter(function (k) { return final[k] === top; });
      var winner = leaders.length === 1 ? leaders[0] : tosses.settle(leaders, SINGLE);
      delegates = {};
      viable = [];
      if (winner !== null) {
        delegates[winner] = 1;
        viable = [winner];
      }
    } else {
      viable = keys.filter(function (k) { return final[k] >= threshold; });
      delegates = share(final, viable, attendance, rules.delegates, tosses);
    }
    var sdes = {};
    Object.keys(delegates).forEach(function (k) { sdes[k] = delegates[k] * rules.sde_ratio; });
    return { threshold: threshold, viable: viable, delegates: delegates, sdes: sdes,
             ties: tosses.ties };
  }

  function share(final, viable, attendance, precinctDelegates, tosses) {
    var fraction = {};  // numerator over `attendance`
    var delegates = {};
    viable.forEach(function (k) {
      var raw = final[k] * precinctDelegates;
      var whole = Math.floor(raw / attendance);
      fraction[k] = raw - whole * attendance;
      // Rounded half up; every viable group gets at least one (Caucus Guide, minimum).
      delegates[k] = Math.max(1, whole + (2 * fraction[k] >= attendance ? 1 : 0));
    });
    if (!viable.length) return delegates;
    function below(k) { return 2 * fraction[k] < attendance; }
    function total() {
      return viable.reduce(function (sum, k) { return sum + delegates[k]; }, 0);
    }
    // Too few: the next goes to the highest fraction below .5, one each, ties by toss.
    var given = {};
    while (total() < precinctDelegates) {
      var rest = viable.filter(function (k) { return !given[k]; });
      if (!rest.length) {
        given = {};
        rest = viable.slice();
      }
      var pool = rest.filter(below);
      if (!pool.length) pool = rest;
      var best = Math.max.apply(null, pool.map(function (k) { return fraction[k]; }));
      var leaders = pool.filter(function (k) { return fraction[k] === best; });
      var winner = leaders.length === 1 ? leaders[0] : tosses.settle(leaders, EXTRA);
      if (winner === null) break;
      delegates[winner] += 1;
      given[winner] = true;
    }
    // Too many: take one from the lowest fraction at or above .5, never a group's only
    // delegate; ties by toss (each winner keeps theirs, the last one left gives one up).
    var taken = {};
    while (total() > precinctDelegates) {
      var canGive = viable.filter(function (k) { return delegates[k] > 1; });
      if (!canGive.length) break;
      var fresh = canGive.filter(function (k) { return !taken[k]; });
      if (!fresh.length) fresh = canGive;
      var upper = fresh.filter(function (k) { return !below(k); });
      if (!upper.length) upper = fresh;
      var lowest = Math.min.apply(null, upper.map(function (k) { return fraction[k]; }));
      var losers = upper.filter(function (k) { return fraction[k] === lowest; });
      while (losers.length > 1) {
        var keeper = tosses.settle(losers, KEEP);
        if (keeper === null) return delegates;
        losers.splice(losers.indexOf(keeper), 1);
      }
      delegates[losers[0]] -= 1;
      taken[losers[0]] = true;
    }
    return delegates;
  }

  function finding(code, message, blocking) {
    return { code: code, message: message, blocking: blocking };
  }

  function counted(counts) {
    var out = {};
    Object.keys(counts || {}).forEach(function (k) {
      if (whole(counts[k]) && counts[k] > 0) out[k] = counts[k];
    });
    return out;
  }

  function sum(counts) {
    return Object.keys(counts).reduce(function (s, k) { return s + counts[k]; }, 0);
  }

  function names(keys, name) {
    var shown = keys.map(name);
    return shown.length === 1 ? shown[0]
      : shown.slice(0, -1).join(", ") + " and " + shown[shown.length - 1];
  }

  // Every finding of a report (checks.check, iowa-caucus-2020 rules).
  // election: {name, candidates: [{key, name}]}; rules: {delegates, sde_ratio} or null
  // (the precinct is not in the election).
  function check(report, election, rules) {
    var byKeyName = {};
    election.candidates.forEach(function (c) { byKeyName[c.key] = c.name; });
    function name(key) { return key in byKeyName ? byKeyName[key] : repr(key); }
    var findings = [];
    if (!rules) {
      findings.push(finding("unknown-precinct", "precinct " + repr(String(report.precinct)) +
        " is not in the " + election.name + " election", true));
    }
    // Counts that are not whole numbers at least 0, and unknown candidates.
    var att = report.attendance;
    if ((att !== null && att !== undefined && !whole(att)) || (whole(att) && att < 0)) {
      findings.push(finding("bad-count", "attendance " + repr(att) + " is not a whole " +
        "number of at least 0", true));
    }
    [["first", report.first || {}], ["final", report.final || {}]].forEach(function (pair) {
      var stage = pair[0], counts = pair[1];
      Object.keys(counts).sort(byKey).forEach(function (key) {
        var count = counts[key];
        if (!(key in byKeyName)) {
          findings.push(finding("unknown-candidate", stage + " alignment names " + repr(key) +
            ", not a candidate", true));
        }
        if (!whole(count) || count < 0) {
          findings.push(finding("bad-count", stage + " alignment: " + name(key) +
            "'s count " + repr(count) + " is not a whole number of at least 0", true));
        }
      });
    });
    return findings.concat(iowa2020(report, rules, name));
  }

  function iowa2020(report, rules, name) {
    var findings = [];
    var first = counted(report.first), final = counted(report.final);
    var firstTotal = sum(first), finalTotal = sum(final);
    var attendance = whole(report.attendance) ? report.attendance : null;
    if (!attendance || attendance < 0) {
      if (Object.keys(first).length || Object.keys(final).length) {
        findings.push(finding("no-attendance", "groups are reported but attendance is " +
          (attendance === null ? "missing" : attendance), true));
      }
      return findings;
    }
    [["first", first], ["final", final]].forEach(function (pair) {
      Object.keys(pair[1]).forEach(function (key) {
        var count = pair[1][key];
        if (count > attendance) {
          findings.push(finding("count-above-attendance", pair[0] + " alignment: " +
            name(key) + " has " + count + ", more than the " + attendance + " attendees",
            true));
        }
      });
    });
    if (firstTotal > attendance) {
      findings.push(finding("first-above-attendance", "the first alignment adds up to " +
        firstTotal + ", more than the " + attendance + " attendees", true));
    } else if (firstTotal < attendance) {
      findings.push(finding("first-below-attendance", "the first alignment adds up to " +
        firstTotal + ", fewer than the " + attendance + " attendees (people may leave)",
        false));
    }
    if (finalTotal > firstTotal) {
      findings.push(finding("final-above-first", "the final alignment adds up to " +
        finalTotal + ", more than the first's " + firstTotal, true));
    }
    if (!rules || rules.delegates === 0) return findings;
    var threshold = viabilityThreshold(attendance, rules.delegates);
    if (threshold !== null) findings = findings.concat(viability(first, final, threshold, name));
    var allocation = allocate(report, rules);
    var unsettled = allocation.ties.filter(function (t) { return !t.settled_by; });
    unsettled.forEach(function (tie) {
      findings.push(finding("unsettled-coin-toss", names(tie.between, name) + " tie for " +
        tie.stake + ": no coin toss recorded", false));
    });
    var given = sum(allocation.delegates);
    if (allocation.viable.length && !unsettled.length && given !== rules.delegates) {
      var more = allocation.viable.length > rules.delegates
        ? " (more viable groups than delegates: each viable group gets one)" : "";
      findings.push(finding("delegate-total", allocation.viable.length + " viable groups " +
        "get " + given + " delegates, not the precinct's " + rules.delegates + more, false));
    }
    return findings;
  }

  function viability(first, final, threshold, name) {
    var findings = [];
    var realigners = 0;
    Object.keys(first).forEach(function (k) { if (first[k] < threshold) realigners += first[k]; });
    var keys = Object.keys(first);
    Object.keys(final).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); });
    keys.sort(byKey).forEach(function (key) {
      var before = first[key] || 0, after = final[key] || 0;
      if (before >= threshold && after < before) {
        findings.push(finding("locked-group-shrank", name(key) + " was viable at first " +
          "with " + before + " but has " + after + " at the final alignment (viable groups " +
          "are locked)", true));
      }
      if (after > 0 && after < threshold) {
        // Possible: members of a group still not viable may stay in it; no delegate.
        findings.push(finding("final-below-threshold", name(key) + " has " + after +
          " at the final alignment, below the viability threshold of " + threshold +
          ": no delegate", false));
      }
      if (after - before > realigners) {
        findings.push(finding("grew-past-realigners", name(key) + " grew from " + before +
          " to " + after + ", more than the " + realigners + " people in groups not " +
          "viable at first could give", false));
      }
    });
    return findings;
  }

  var api = { viabilityThreshold: viabilityThreshold, allocate: allocate, check: check,
              EXTRA: EXTRA, KEEP: KEEP, SINGLE: SINGLE };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.HotlineCaucus = api;
})(this);
