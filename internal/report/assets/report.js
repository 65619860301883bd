// nhiscan report: filters and sorting. Reads the table through attributes
// and textContent only; never writes markup.
(function () {
  'use strict';
  var table = document.getElementById('findings');
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.filter.call(tbody.rows, function (r) { return r.hasAttribute('data-status'); });
  var selects = Array.prototype.slice.call(document.querySelectorAll('select[data-filter]'));
  var text = document.getElementById('f-text');
  var shown = document.getElementById('shown');

  function matches(row, q) {
    for (var i = 0; i < selects.length; i++) {
      var want = selects[i].value;
      if (want === '') { continue; }
      var have = (row.getAttribute('data-' + selects[i].getAttribute('data-filter')) || '').split(' ');
      if (have.indexOf(want) < 0) { return false; }
    }
    return q === '' || row.textContent.toLowerCase().indexOf(q) >= 0;
  }

  function apply() {
    var q = text ? text.value.trim().toLowerCase() : '';
    var n = 0;
    rows.forEach(function (r) {
      var ok = matches(r, q);
      r.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = n + ' of ' + rows.length + ' shown';
    table.setAttribute('data-shown', String(n));
  }

  function clear() {
    selects.forEach(function (s) { s.value = ''; });
    if (text) { text.value = ''; }
  }

  function setFilter(key, value) {
    for (var i = 0; i < selects.length; i++) {
      if (selects[i].getAttribute('data-filter') === key) { selects[i].value = value; }
    }
  }

  selects.forEach(function (s) { s.addEventListener('change', apply); });
  if (text) { text.addEventListener('input', apply); }
  var reset = document.getElementById('f-reset');
  if (reset) { reset.addEventListener('click', function () { clear(); apply(); }); }

  Array.prototype.forEach.call(document.querySelectorAll('[data-filter-set]'), function (b) {
    b.addEventListener('click', function () {
      clear();
      setFilter(b.getAttribute('data-filter-set'), b.getAttribute('data-filter-value'));
      apply();
      table.scrollIntoView({ block: 'start' });
    });
  });

  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    var btn = th.querySelector('button.sort');
    if (!btn) { return; }
    btn.addEventListener('click', function () {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      var num = th.getAttribute('data-type') === 'num';
      var keyed = rows.map(function (r, i) {
        var c = r.cells[col];
        var v = c.hasAttribute('data-v') ? c.getAttribute('data-v') : c.textContent.trim().toLowerCase();
        return { r: r, i: i, v: num ? Number(v) : v };
      });
      keyed.sort(function (a, b) {
        if (a.v < b.v) { return -dir; }
        if (a.v > b.v) { return dir; }
        return a.i - b.i;
      });
      keyed.forEach(function (k) { tbody.appendChild(k.r); });
    });
  });

  // #status=live&severity=high preselects filters (links into the report).
  if (location.hash.length > 1) {
    location.hash.slice(1).split('&').forEach(function (kv) {
      var p = kv.split('=');
      try {
        if (p.length === 2) { setFilter(decodeURIComponent(p[0]), decodeURIComponent(p[1])); }
      } catch (e) { /* a malformed hash selects nothing */ }
    });
  }
  apply();
  document.documentElement.setAttribute('data-ready', '1');
})();
