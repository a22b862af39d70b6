// Live updates: the server sends each section's HTML by server-sent events, and this
// puts it in place. A file of its own (not inline) so the Content-Security-Policy can
// forbid inline scripts. The page works without it: Refresh reloads.
(function () {
  var script = document.currentScript;
  if (!window.EventSource || !script) return;
  var source = new EventSource(script.dataset.events);
  source.onmessage = function (event) {
    var html = JSON.parse(event.data).html;
    Object.keys(html).forEach(function (id) {
      var section = document.getElementById(id);
      if (section) section.innerHTML = html[id];
    });
  };
  source.addEventListener("signed-out", function () { source.close(); location.reload(); });
})();
