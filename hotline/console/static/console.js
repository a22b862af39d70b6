// Keeps the console page up to date: every few seconds it asks the server for the
// sections that changed since the versions it holds, and puts their HTML in place.
// Short requests, not a stream: each holds a web thread for milliseconds, and the server
// keeps its other threads for Twilio (README, "The volunteer console").
// A file of its own (not inline) so the Content-Security-Policy can forbid inline
// scripts. The page works without it: Refresh reloads.
(function () {
  var script = document.currentScript;
  if (!script || !window.fetch) return;
  var url = script.dataset.state;
  var every = (Number(script.dataset.every) || 2) * 1000;
  var longest = 60 * 1000;  // the longest wait when the server is busy or gone
  var delay = every;
  var etag = null;
  var timer = null;
  var asking = false;  // one request at a time: its answer schedules the next
  var versions = {};
  document.querySelectorAll("section[data-version]").forEach(function (section) {
    versions[section.id] = section.dataset.version;
  });

  function have() {
    return Object.keys(versions).map(function (id) { return id + ":" + versions[id]; })
      .join(",");
  }

  // A form the volunteer is typing in (results_form.js marks it data-dirty) is never taken
  // away by a poll. When the new HTML no longer carries it (same data-form-key), the chair
  // hung up or the next one came through: the form stays, saying so, until it is saved
  // (the server takes a chair's results after their call has ended).
  function typingIn(section, html) {
    var form = section.querySelector("form[data-form-key][data-dirty]");
    if (!form) return false;
    var movedOn = form.querySelector("#results-moved-on");
    if (movedOn && html.indexOf('data-form-key="' + form.dataset.formKey + '"') < 0) {
      movedOn.hidden = false;
    }
    return true;
  }

  function apply(body) {
    Object.keys(body.html).forEach(function (id) {
      var section = document.getElementById(id);
      if (!section || typingIn(section, body.html[id])) return;
      section.innerHTML = body.html[id];
      section.dispatchEvent(new CustomEvent("console:updated", { bubbles: true }));
    });
    Object.keys(body.versions).forEach(function (id) {
      if (id in versions) versions[id] = body.versions[id];
    });
  }

  // Busy (503) or unreachable: wait twice as long each time, at least what the server
  // asks (Retry-After), at most a minute; a little jitter keeps pages from asking together.
  function backOff(retryAfterS) {
    delay = Math.min(Math.max(delay * 2, (retryAfterS || 0) * 1000), longest);
    return delay * (0.8 + Math.random() * 0.4);
  }

  function schedule(wait) {
    clearTimeout(timer);
    timer = null;
    if (asking || document.visibilityState === "hidden") return;  // a hidden tab asks nothing
    timer = setTimeout(poll, wait);
  }

  function poll() {
    asking = true;
    var headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    var ask = url + (url.indexOf("?") < 0 ? "?" : "&") + "have=" + encodeURIComponent(have());
    fetch(ask, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) {  // signed out: the reload shows the login page
          location.reload();
          return null;
        }
        if (response.status === 304) {
          delay = every;
          return every;
        }
        if (!response.ok) return backOff(Number(response.headers.get("Retry-After")));
        return response.json().then(function (body) {
          etag = response.headers.get("ETag");
          apply(body);
          delay = every;
          return every;
        });
      })
      .catch(function () { return backOff(0); })
      .then(function (wait) {
        asking = false;
        if (wait !== null) schedule(wait);
      });
  }

  // Shown again: ask at once. Hidden: schedule() only clears the timer.
  document.addEventListener("visibilitychange", function () { schedule(0); });
  schedule(every);
})();
