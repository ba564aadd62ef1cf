// The review report's graphs: the dashboard viewer's pan and zoom (panzoom.js, placed before this script),
// with its Fit and 100 % buttons, starting readable above the graph's input.
document.querySelectorAll('div.graph').forEach(function (box) {
  if (!box.querySelector('svg')) return;
  var pz = tsvizPanZoom(box, null);
  pz.measure();
  var start = Array.prototype.find.call(box.querySelectorAll('g.node'), function (g) {
    var title = g.querySelector('title');
    return title && title.textContent === 'n0';
  });
  box.previousElementSibling.querySelector('[data-fit]').onclick = function () { pz.fit(false); };
  box.previousElementSibling.querySelector('[data-readable]').onclick = function () { pz.fit(true, start); };
  window.addEventListener('resize', pz.apply);
  pz.fit(true, start);
});
