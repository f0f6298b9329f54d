// kspm web UI: the little behaviour the server-rendered pages need. No inline handlers;
// data reaches this script only through data-* attributes, parsed as JSON, never as code,
// and text is always inserted as text (textContent), never as markup.
(function () {
  "use strict";

  var PALETTE = ["#2456c7", "#c0262d", "#1a7f4b", "#a86400", "#7b3fb5", "#0f7c8c", "#5d6676"];

  // ---- Trend chart -----------------------------------------------------------------------

  function fmtTime(t) {
    var d = new Date(t * 1000);
    function two(n) { return n < 10 ? "0" + n : "" + n; }
    return d.getUTCFullYear() + "-" + two(d.getUTCMonth() + 1) + "-" + two(d.getUTCDate()) +
      " " + two(d.getUTCHours()) + ":" + two(d.getUTCMinutes()) + " UTC";
  }

  // A tooltip that follows the cursor and lists every series' score and failed count.
  function tooltipPlugin(spec) {
    var tip;
    return {
      hooks: {
        init: function (u) {
          tip = document.createElement("div");
          tip.className = "chart-tip";
          tip.hidden = true;
          u.over.appendChild(tip);
          u.over.addEventListener("mouseleave", function () { tip.hidden = true; });
        },
        setCursor: function (u) {
          var i = u.cursor.idx;
          if (i == null) { tip.hidden = true; return; }
          tip.replaceChildren();
          var head = document.createElement("strong");
          head.textContent = fmtTime(spec.x[i]);
          tip.appendChild(head);
          (spec.series || []).forEach(function (s, k) {
            var v = s.values[i];
            if (v == null) return;
            var line = document.createElement("div");
            var sw = document.createElement("span");
            sw.className = "swatch";
            sw.style.background = PALETTE[k % PALETTE.length];
            line.appendChild(sw);
            var failed = s.failed && s.failed[i] != null ? ", " + s.failed[i] + " failed" : "";
            line.appendChild(document.createTextNode(s.label + ": " + v.toFixed(1) + " %" + failed));
            tip.appendChild(line);
          });
          tip.hidden = false;
          var left = u.cursor.left, top = u.cursor.top;
          var w = tip.offsetWidth, ow = u.over.clientWidth;
          tip.style.left = Math.max(0, Math.min(left + 12, ow - w)) + "px";
          tip.style.top = Math.max(0, top - tip.offsetHeight - 8) + "px";
        }
      }
    };
  }

  function drawTrend(el) {
    if (el.dataset.drawn || typeof uPlot === "undefined") return;
    var spec;
    try { spec = JSON.parse(el.dataset.series || "{}"); } catch (e) { return; }
    if (!spec.x || spec.x.length === 0) return;
    el.dataset.drawn = "1";
    el.textContent = "";
    var series = [{ value: function (u, t) { return t == null ? "–" : fmtTime(t); } }];
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
    function width() { return Math.max(Math.min(el.clientWidth, 2000), 240); }
    var opts = {
      width: width(),
      height: 220,
      scales: { x: { time: true }, y: { range: [lo, hi] } },
      series: series,
      axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return v + " %"; }); } }],
      legend: { show: true, live: true },
      cursor: { points: { size: 8 } },
      plugins: [tooltipPlugin(spec)]
    };
    var plot = new uPlot(opts, data, el);
    // One round only: a day either side of it, not uPlot's years-wide default.
    if (spec.x.length === 1) {
      plot.setScale("x", { min: spec.x[0] - 86400, max: spec.x[0] + 86400 });
    }
    window.addEventListener("resize", function () { plot.setSize({ width: width(), height: 220 }); });
  }

  // ---- Flyout ----------------------------------------------------------------------------

  var opener = null;     // the element focus returns to when the flyout closes
  var fromHistory = false;

  function flyoutEl() { return document.querySelector("#flyout .flyout"); }

  function urlWithout(param) {
    var url = new URL(window.location.href);
    url.searchParams.delete(param);
    return url.pathname + (url.search ? url.search : "");
  }

  function closeFlyout(push) {
    var f = document.getElementById("flyout");
    if (!f || !f.firstElementChild) return;
    f.replaceChildren();
    document.body.classList.remove("flyout-open");
    if (push && new URL(window.location.href).searchParams.has("finding")) {
      history.pushState({}, "", urlWithout("finding"));
    }
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  }

  function setupTabs(root) {
    root.querySelectorAll("[role=tablist]").forEach(function (list) {
      var tabs = Array.prototype.slice.call(list.querySelectorAll("[role=tab]"));
      function select(tab, focus) {
        tabs.forEach(function (t) {
          var on = t === tab;
          t.setAttribute("aria-selected", on ? "true" : "false");
          t.tabIndex = on ? 0 : -1;
          var panel = document.getElementById(t.getAttribute("aria-controls"));
          if (panel) panel.hidden = !on;
        });
        if (focus) tab.focus();
      }
      tabs.forEach(function (t, i) {
        t.addEventListener("click", function () { select(t, false); });
        t.addEventListener("keydown", function (ev) {
          var next = null;
          if (ev.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
          if (ev.key === "ArrowLeft") next = tabs[(i + tabs.length - 1) % tabs.length];
          if (ev.key === "Home") next = tabs[0];
          if (ev.key === "End") next = tabs[tabs.length - 1];
          if (next) { ev.preventDefault(); select(next, true); }
        });
      });
      select(tabs[0], false);
      list.parentElement.classList.add("tabs-ready");
    });
  }

  function flyoutOpened() {
    var f = flyoutEl();
    if (!f) return;
    document.body.classList.add("flyout-open");
    setupTabs(f);
    var title = f.querySelector("#flyout-title");
    f.focus();
    if (title) title.scrollIntoView({ block: "nearest" });
  }

  // ---- Copy buttons ----------------------------------------------------------------------

  function copy(button) {
    var block = button.parentElement && button.parentElement.querySelector("pre");
    if (!block) return;
    var text = block.textContent;
    var done = function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { select(block); });
    } else {
      select(block);
    }
  }

  function select(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // ---- Query suggestions -----------------------------------------------------------------

  function setupSuggestions(input) {
    var list = document.getElementById("suggestions");
    if (!list || input.dataset.suggest) return;
    input.dataset.suggest = "1";
    var fields = [];
    try { fields = JSON.parse(input.dataset.fields || "[]"); } catch (e) { fields = []; }
    var items = [], active = -1, timer = null, seq = 0;

    // The clause being typed: text after the last `and`/`or`/`not`/`(` before the cursor.
    function current() {
      var upto = input.value.slice(0, input.selectionStart);
      var m = /(?:^|\s(?:and|or|not)\s+|\()\s*([^()]*)$/i.exec(upto);
      var clause = m ? m[1] : upto;
      var start = upto.length - clause.length;
      var colon = clause.indexOf(":");
      if (colon < 0) return { kind: "field", typed: clause.trim(), start: start, end: upto.length };
      var field = clause.slice(0, colon).trim();
      var rest = clause.slice(colon + 1);
      var lead = rest.length - rest.replace(/^\s+/, "").length;
      var typed = rest.slice(lead).replace(/^"/, "");
      return { kind: "value", field: field, typed: typed, start: start + colon + 1 + lead, end: upto.length };
    }

    function hide() { list.hidden = true; input.setAttribute("aria-expanded", "false"); items = []; active = -1; }

    function show(values, ctx) {
      list.replaceChildren();
      items = values.slice(0, 12).map(function (v) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.textContent = v.label;
        if (v.hint) {
          var hint = document.createElement("span");
          hint.className = "hint";
          hint.textContent = v.hint;
          li.appendChild(hint);
        }
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); apply(v, ctx); });
        list.appendChild(li);
        return { li: li, v: v };
      });
      if (!items.length) return hide();
      active = -1;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function quote(v) { return /^[A-Za-z0-9_.\-\/]+$/.test(v) ? v : "\"" + v.replace(/["\\]/g, "\\$&") + "\""; }

    function apply(v, ctx) {
      var text = ctx.kind === "field" ? v.label + " : " : quote(v.label) + " ";
      input.value = input.value.slice(0, ctx.start) + text + input.value.slice(ctx.end);
      var pos = ctx.start + text.length;
      input.setSelectionRange(pos, pos);
      input.focus();
      hide();
      if (ctx.kind === "field") update();
    }

    function update() {
      var ctx = current();
      if (ctx.kind === "field") {
        var t = ctx.typed.toLowerCase();
        show(fields.filter(function (f) { return f.name.toLowerCase().indexOf(t) >= 0; })
          .map(function (f) { return { label: f.name, hint: f.kind }; }), ctx);
        return;
      }
      var mine = ++seq;
      clearTimeout(timer);
      timer = setTimeout(function () {
        var url = "/api/v1/suggest?field=" + encodeURIComponent(ctx.field) + "&q=" + encodeURIComponent(ctx.typed);
        fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { values: [] }; })
          .then(function (body) {
            if (mine !== seq) return;
            show((body.values || []).map(function (v) { return { label: v }; }), ctx);
          })
          .catch(hide);
      }, 120);
    }

    function move(d) {
      if (!items.length) return;
      if (active >= 0) items[active].li.classList.remove("active");
      active = (active + d + items.length) % items.length;
      items[active].li.classList.add("active");
      items[active].li.scrollIntoView({ block: "nearest" });
    }

    input.addEventListener("input", update);
    input.addEventListener("focus", update);
    input.addEventListener("blur", function () { setTimeout(hide, 100); });
    input.addEventListener("keydown", function (ev) {
      if (list.hidden) return;
      if (ev.key === "ArrowDown") { ev.preventDefault(); move(1); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
      else if ((ev.key === "Enter" || ev.key === "Tab") && active >= 0) {
        ev.preventDefault();
        apply(items[active].v, current());
      } else if (ev.key === "Escape") { ev.stopPropagation(); hide(); }
    });
  }

  // ---- Wiring ----------------------------------------------------------------------------

  function init(root) {
    root.querySelectorAll("[data-trend]").forEach(drawTrend);
    var q = root.querySelector ? root.querySelector("#q[data-fields]") : null;
    if (q) setupSuggestions(q);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    // A page opened with ?finding=… has its flyout already.
    if (flyoutEl()) flyoutOpened();
    history.replaceState({}, "", window.location.href);
  });

  document.addEventListener("htmx:afterSwap", function (ev) {
    if (ev.target && ev.target.id === "flyout") {
      var f = flyoutEl();
      if (f && !fromHistory) {
        var url = opener && opener.dataset ? opener.dataset.url : null;
        if (url) history.pushState({ finding: f.dataset.finding }, "", url);
      }
      fromHistory = false;
      flyoutOpened();
    } else {
      init(ev.target);
    }
  });

  window.addEventListener("popstate", function () {
    var id = new URL(window.location.href).searchParams.get("finding");
    if (id && typeof htmx !== "undefined") {
      fromHistory = true;
      htmx.ajax("GET", "/findings/" + encodeURIComponent(id) + "/flyout", { target: "#flyout", swap: "innerHTML" });
    } else {
      closeFlyout(false);
    }
  });

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!(t instanceof Element)) return;
    if (t.closest("#flyout [data-close-flyout]")) { ev.preventDefault(); closeFlyout(true); return; }
    var c = t.closest("[data-copy]");
    if (c) { ev.preventDefault(); copy(c); return; }
    var open = t.closest("a[data-open]");
    if (open) { opener = open; return; }
    // A click anywhere on a finding row opens its flyout, as the link in the row does.
    var row = t.closest("tr[data-row-link]");
    if (row && !t.closest("a, button, input, select, form")) {
      var link = row.querySelector("a[data-open]");
      if (link) { opener = link; link.click(); }
    }
  });

  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t instanceof HTMLSelectElement && t.hasAttribute("data-autosubmit") && t.form) {
      // Another cluster has other rounds: let the server pick its last two.
      t.form.querySelectorAll("select:not([data-autosubmit])").forEach(function (s) { s.disabled = true; });
      t.form.submit();
    }
  });

  document.addEventListener("keydown", function (ev) {
    var f = flyoutEl();
    if (!f) return;
    if (ev.key === "Escape") { closeFlyout(true); return; }
    if (ev.key !== "Tab") return;
    // Keep focus inside the dialog while it is open.
    var focusable = Array.prototype.filter.call(
      f.querySelectorAll("a[href], button:not([disabled]), [tabindex='0'], summary, input, select, textarea"),
      function (e) { return e.offsetParent !== null; });
    if (!focusable.length) return;
    var first = focusable[0], last = focusable[focusable.length - 1];
    if (ev.shiftKey && (document.activeElement === first || document.activeElement === f)) {
      ev.preventDefault(); last.focus();
    } else if (!ev.shiftKey && document.activeElement === last) {
      ev.preventDefault(); first.focus();
    }
  });
})();
