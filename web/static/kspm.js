// kspm web UI: the little behaviour the server-rendered pages need. No inline handlers;
// data reaches this script only through data-* attributes, parsed as JSON, never as code.
(function () {
  "use strict";

  var PALETTE = ["#2456c7", "#c0262d", "#1a7f4b", "#a86400", "#7b3fb5", "#0f7c8c", "#5d6676"];

  function drawTrend(el) {
    if (el.dataset.drawn || typeof uPlot === "undefined") return;
    var spec;
    try { spec = JSON.parse(el.dataset.series || "{}"); } catch (e) { return; }
    if (!spec.x || spec.x.length === 0) return;
    el.dataset.drawn = "1";
    el.textContent = "";
    var series = [{}];
    var data = [spec.x];
    (spec.series || []).forEach(function (s, i) {
      series.push({
        label: s.label,
        stroke: PALETTE[i % PALETTE.length],
        width: i === 0 ? 2.5 : 1.5,
        spanGaps: true,
        points: { show: spec.x.length < 40 },
        value: function (u, v) { return v == null ? "–" : v.toFixed(1) + " %"; }
      });
      data.push(s.values);
    });
    // Fit the score axis to the data (in steps of 10) so that small moves stay visible.
    var all = [];
    data.slice(1).forEach(function (vals) {
      vals.forEach(function (v) { if (v != null) all.push(v); });
    });
    var lo = all.length ? Math.max(0, Math.floor((Math.min.apply(null, all) - 5) / 10) * 10) : 0;
    var hi = all.length ? Math.min(100, Math.ceil((Math.max.apply(null, all) + 5) / 10) * 10) : 100;
    var opts = {
      width: Math.max(el.clientWidth, 300),
      height: 220,
      scales: { x: { time: true }, y: { range: [lo, hi] } },
      series: series,
      axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return v + " %"; }); } }],
      legend: { show: true, live: false }
    };
    var plot = new uPlot(opts, data, el);
    window.addEventListener("resize", function () {
      plot.setSize({ width: Math.max(el.clientWidth, 300), height: 220 });
    });
  }

  function closeFlyout() {
    var f = document.getElementById("flyout");
    if (f) f.replaceChildren();
  }

  function init(root) {
    root.querySelectorAll("[data-trend]").forEach(drawTrend);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (ev) { init(ev.target); });

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!(t instanceof Element)) return;
    if (t.closest("#flyout [data-close-flyout]")) { ev.preventDefault(); closeFlyout(); return; }
    // A click anywhere on a finding row opens its flyout, as the link in the row does.
    var row = t.closest("tr[data-row-link]");
    if (row && !t.closest("a, button, input, select, form")) {
      var link = row.querySelector("a[data-open]");
      if (link) link.click();
    }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") closeFlyout();
  });
})();
