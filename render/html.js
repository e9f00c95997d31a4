// Static script of the rdbscope HTML report. It is the same for every
// report (its hash is in the page's Content-Security-Policy), and it never
// evaluates anything from the data: chart options come from JSON islands
// read with JSON.parse, and every tooltip is built here, with names
// HTML-escaped, because ECharts inserts tooltip strings as HTML.
(function () {
  'use strict';
  var doc = document;
  var body = doc.body;
  doc.documentElement.classList.remove('nojs');

  // Errors are written into the page so that a headless browser's DOM dump
  // shows them (the end-to-end test reads them there).
  var sink = doc.getElementById('js-errors');
  var nerr = 0;
  function record(kind, msg) {
    nerr++;
    body.setAttribute('data-errors', String(nerr));
    if (sink) {
      sink.textContent += kind + ': ' + msg + '\n';
    }
  }
  window.addEventListener('error', function (e) { record('error', e.message || String(e.error)); });
  window.addEventListener('unhandledrejection', function (e) { record('rejection', String(e.reason)); });
  doc.addEventListener('securitypolicyviolation', function (e) {
    record('csp', e.violatedDirective + ' ' + (e.blockedURI || ''));
  });
  ['error', 'warn'].forEach(function (level) {
    var orig = console[level];
    console[level] = function () {
      record('console.' + level, Array.prototype.map.call(arguments, String).join(' '));
      if (orig) {
        orig.apply(console, arguments);
      }
    };
  });

  var UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  // bytes formats with binary units; trim drops trailing zeros, for axis
  // labels ("2 MiB"), whose ticks are round binary steps set by the report.
  function bytes(v, trim) {
    v = Number(v) || 0;
    if (Math.abs(v) < 1024) {
      return v + ' B';
    }
    var u = 0;
    while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
      v /= 1024;
      u++;
    }
    var a = Math.abs(v);
    var s = v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
    return (trim ? String(Number(s)) : s) + ' ' + UNITS[u];
  }
  function axisBytes(v) { return bytes(v, true); }
  function count(v) { return (Number(v) || 0).toLocaleString('en-US'); }
  function fmt(v, unit) { return unit === 'count' ? count(v) + ' keys' : bytes(v) + ' (' + count(v) + ' B)'; }
  function pct(f) { return (f * 100).toFixed(1) + '%'; }
  var ENT = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return ENT[c]; }); }
  function num(v) {
    if (v !== null && typeof v === 'object' && 'value' in v) {
      v = v.value;
    }
    return Number(v);
  }

  function itemFormatter(spec) {
    return function (p) {
      var unit = (spec.units || [])[p.seriesIndex] || 'bytes';
      var v = num(p.value);
      var s = '<b>' + esc(p.name) + '</b><br>' + esc(fmt(v, unit));
      if (spec.total > 0) {
        s += ' · ' + esc(pct(v / spec.total));
      }
      return s;
    };
  }
  function axisFormatter(spec) {
    return function (ps) {
      if (!Array.isArray(ps)) {
        ps = [ps];
      }
      if (!ps.length) {
        return '';
      }
      var head = ps[0].axisValueLabel != null ? ps[0].axisValueLabel : ps[0].name;
      var s = '<b>' + esc(head).replace(/\n/g, '<br>') + '</b>';
      ps.forEach(function (p) {
        var v = num(p.value);
        if (!v) {
          return;
        }
        s += '<br>' + esc(p.seriesName) + ': ' + esc(fmt(v, (spec.units || [])[p.seriesIndex] || 'bytes'));
      });
      return s;
    };
  }
  function applyAxes(spec, o) {
    var axes = o[spec.axis + 'Axis'];
    if (!axes) {
      return;
    }
    if (!Array.isArray(axes)) {
      axes = [axes];
    }
    (spec.axisUnits || []).forEach(function (u, i) {
      var a = axes[i];
      if (!a) {
        return;
      }
      a.axisLabel = a.axisLabel || {};
      a.axisLabel.formatter = u === 'count' ? count : axisBytes;
    });
  }

  // #selftest (used by the end-to-end test) opens every chart's first
  // tooltip, so that a headless browser exercises the tooltip escaping.
  var selftest = location.hash === '#selftest';
  var tips = {};
  var ntips = 0;
  function tipShown(id) {
    if (!tips[id]) {
      tips[id] = true;
      ntips++;
      body.setAttribute('data-tooltips-shown', String(ntips));
    }
  }

  var charts = [];
  var rendered = 0;
  function init(el) {
    if (el.getAttribute('data-rendered') || typeof echarts === 'undefined') {
      return;
    }
    var island = doc.getElementById(el.id + '-data');
    if (!island) {
      record('chart', el.id + ': no data');
      return;
    }
    try {
      var spec = JSON.parse(island.textContent);
      var o = spec.option || {};
      if (o.tooltip) {
        var f = o.tooltip.trigger === 'axis' ? axisFormatter(spec) : itemFormatter(spec);
        o.tooltip.formatter = selftest ? function (p) { tipShown(el.id); return f(p); } : f;
        o.tooltip.confine = true;
      }
      applyAxes(spec, o);
      var c = echarts.init(el, null, { renderer: 'canvas' });
      c.setOption(o);
      charts.push(c);
      el.setAttribute('data-rendered', '1');
      rendered++;
      body.setAttribute('data-charts-rendered', String(rendered));
    } catch (e) {
      record('chart', el.id + ': ' + e.message);
    }
  }
  // A chart inside a closed <details> has no size yet: it starts when its
  // section is opened.
  function shown(el) {
    for (var d = el.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) {
      if (!d.open) {
        return false;
      }
    }
    return true;
  }
  var els = doc.querySelectorAll('div.chart');
  body.setAttribute('data-charts-total', String(els.length));
  body.setAttribute('data-charts-rendered', '0');
  els.forEach(function (el) {
    if (shown(el)) {
      init(el);
    }
  });
  doc.querySelectorAll('details').forEach(function (d) {
    d.addEventListener('toggle', function () {
      if (d.open) {
        d.querySelectorAll('div.chart').forEach(function (el) {
          if (shown(el)) {
            init(el);
          }
        });
      }
    });
  });
  if (selftest) {
    charts.forEach(function (c) {
      try {
        c.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 });
      } catch (e) {
        record('selftest', e.message);
      }
    });
  }
  var pending = 0;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 100);
  });

  // Sortable tables: click (or Enter on) a header. Cells sort by their
  // data-v value when they have one (exact bytes, counts), else by text.
  function key(td) {
    if (!td) {
      return '';
    }
    var v = td.getAttribute('data-v');
    return v !== null ? Number(v) : td.textContent;
  }
  doc.querySelectorAll('table.sortable').forEach(function (t) {
    if (!t.tHead || !t.tBodies.length) {
      return;
    }
    var ths = t.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths, function (th, col) {
      th.classList.add('sort');
      th.tabIndex = 0;
      function go() {
        var cur = th.getAttribute('aria-sort');
        var desc = cur ? cur === 'ascending' : th.classList.contains('num');
        Array.prototype.forEach.call(ths, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', desc ? 'descending' : 'ascending');
        var tb = t.tBodies[0];
        var rows = Array.prototype.map.call(tb.rows, function (r, i) { return { r: r, i: i, k: key(r.cells[col]) }; });
        rows.sort(function (a, b) {
          var c = 0;
          if (typeof a.k === 'number' && typeof b.k === 'number') {
            c = a.k - b.k;
          } else {
            c = String(a.k).localeCompare(String(b.k));
          }
          if (desc) {
            c = -c;
          }
          return c || a.i - b.i;
        });
        rows.forEach(function (x) { tb.appendChild(x.r); });
      }
      th.addEventListener('click', go);
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          go();
        }
      });
    });
  });
})();
