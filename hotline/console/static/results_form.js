// The volunteer's results form, live: as figures are typed, the caucus math (caucus.js)
// shows the threshold, each group's delegates and SDEs, the coin tosses a tie needs and
// every finding (errors, and warnings with their tick). The server checks again on save
// and decides; this only saves the volunteer a round trip. Without JavaScript the form
// still works: the server's figures show after each save attempt.
(function () {
  "use strict";
  var Caucus = window.HotlineCaucus;
  if (!Caucus) return;

  // As the server reads them (console/results_form.py): blank is 0 (attendance: missing),
  // 1 to 6 digits a number, anything else stays text for the checks to name.
  function read(text, blank) {
    text = (text || "").trim();
    if (!text) return blank;
    return /^\d{1,6}$/.test(text) ? parseInt(text, 10) : text;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function report(form, math) {
    var first = {}, final = {}, tosses = [];
    math.candidates.forEach(function (c) {
      var a = read(form.elements["first-" + c.key].value, 0);
      var b = read(form.elements["final-" + c.key].value, 0);
      if (a !== 0) first[c.key] = a;
      if (b !== 0) final[c.key] = b;
    });
    var betweens = form.querySelectorAll("input[name=toss_between]");
    var winners = form.querySelectorAll("select[name=toss_winner]");
    for (var i = 0; i < betweens.length && i < winners.length; i++) {
      var group = betweens[i].value.split(",");
      if (group.length > 1 && group.indexOf(winners[i].value) >= 0) {
        tosses.push({ between: group, winner: winners[i].value });
      }
    }
    return { precinct: math.precinct, attendance: read(form.elements.attendance.value, null),
             first: first, final: final, coin_tosses: tosses };
  }

  function total(counts) {
    return Object.keys(counts).reduce(function (sum, k) {
      return sum + (typeof counts[k] === "number" && counts[k] > 0 ? counts[k] : 0);
    }, 0);
  }

  function update(form) {
    var math = JSON.parse(form.dataset.math);
    if (math.rules !== "iowa-caucus-2020" || math.delegates === null) return;
    var rules = { delegates: math.delegates, sde_ratio: math.sde_ratio };
    var names = {};
    math.candidates.forEach(function (c) { names[c.key] = c.name; });
    // The tosses are read, the math run, and the toss selects redrawn for the ties it met,
    // until no new tie appears (a three-way tie takes two tosses, one after the other).
    var current = report(form, math), allocation;
    for (var round = 0; round < 4; round++) {
      allocation = Caucus.allocate(current, rules);
      drawTosses(form, allocation.ties, names);
      var next = report(form, math);
      if (JSON.stringify(next.coin_tosses) === JSON.stringify(current.coin_tosses)) break;
      current = next;
    }
    var att = current.attendance;
    var threshold = typeof att === "number" ? Caucus.viabilityThreshold(att, rules.delegates) : null;
    form.querySelector("#results-threshold").textContent = threshold === null ? "-" : threshold;
    math.candidates.forEach(function (c) {
      var delegates = allocation.delegates[c.key] || 0;
      form.querySelector('[data-delegates="' + c.key + '"]').textContent = delegates;
      form.querySelector('[data-sde="' + c.key + '"]').textContent =
        (allocation.sdes[c.key] || 0).toFixed(4);
      var row = form.querySelector('[data-delegates="' + c.key + '"]').parentNode;
      row.classList.toggle("viable", allocation.viable.indexOf(c.key) >= 0);
    });
    form.querySelector("#results-first-total").textContent = total(current.first);
    form.querySelector("#results-final-total").textContent = total(current.final);
    form.querySelector("#results-delegates-total").textContent = total(allocation.delegates);
    var findings = Caucus.check(current, { name: math.name, candidates: math.candidates }, rules);
    drawFindings(form, findings);
    var save = form.querySelector("#results-save");
    if (save) save.disabled = findings.some(function (f) { return f.blocking; });
  }

  function drawTosses(form, ties, names) {
    var box = form.querySelector("#results-tosses");
    var chosen = {};
    box.querySelectorAll("p.toss").forEach(function (p) {
      chosen[p.querySelector("input").value] = p.querySelector("select").value;
    });
    var wanted = ties.map(function (t) { return t.between.join(","); });
    var have = Object.keys(chosen);
    if (wanted.join("|") === have.join("|")) return;
    box.textContent = "";
    ties.forEach(function (tie) {
      var between = tie.between.join(",");
      var p = el("p", { class: "toss" });
      p.appendChild(el("input", { type: "hidden", name: "toss_between", value: between }));
      var label = el("label", {}, "Coin toss between " + tie.between.map(function (k) {
        return names[k] || k; }).join(" or ") + " for " + tie.stake + ": won by ");
      var select = el("select", { name: "toss_winner" });
      select.appendChild(el("option", { value: "" }, "(not recorded)"));
      tie.between.forEach(function (k) {
        var option = el("option", { value: k }, names[k] || k);
        if (chosen[between] === k) option.selected = true;
        select.appendChild(option);
      });
      label.appendChild(select);
      p.appendChild(label);
      box.appendChild(p);
    });
  }

  function drawFindings(form, findings) {
    var list = form.querySelector("#results-findings");
    var ticked = {};
    list.querySelectorAll("input[name=accept]").forEach(function (box) {
      if (box.checked) ticked[box.value] = true;
    });
    list.textContent = "";
    findings.forEach(function (f) {
      if (f.blocking) {
        list.appendChild(el("li", { class: "error" }, "error: " + f.message));
        return;
      }
      var li = el("li", { class: "warning" });
      var label = el("label");
      var box = el("input", { type: "checkbox", name: "accept", value: f.message });
      if (ticked[f.message]) box.checked = true;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" accept warning: " + f.message));
      li.appendChild(label);
      list.appendChild(li);
    });
  }

  function formOf(target) {
    return target && target.closest ? target.closest("form[data-math]") : null;
  }

  function onEdit(event) {
    var form = formOf(event.target);
    if (!form) return;
    form.dataset.dirty = "1";  // console.js leaves a form being typed in alone
    if (event.target.name !== "accept") update(form);
  }

  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  function all() { document.querySelectorAll("form[data-math]").forEach(update); }
  // A new caller's form arrives by polling (console.js): bring its figures up to date.
  document.addEventListener("console:updated", all);
  all();
})();
