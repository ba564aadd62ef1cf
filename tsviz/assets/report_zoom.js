document.querySelectorAll('.graph').forEach(function (box) {
  var svg = box.querySelector('svg'); if (!svg) return;
  var full = svg.getAttribute('viewBox').split(/[ ,]+/).map(Number), v = full.slice();
  svg.removeAttribute('width'); svg.removeAttribute('height');
  function set() { svg.setAttribute('viewBox', v.join(' ')); }
  function fit() { v = full.slice(); set(); }
  function readable() { var k = box.clientWidth / v[2]; if (k < 1) { v[2] = box.clientWidth; v[3] = box.clientHeight;
    v[0] = full[0] + (full[2] - v[2]) / 2; v[1] = full[1]; set(); } }
  box.previousElementSibling.querySelector('[data-fit]').onclick = fit;
  box.previousElementSibling.querySelector('[data-readable]').onclick = readable;
  box.addEventListener('wheel', function (e) {
    e.preventDefault(); var r = box.getBoundingClientRect(), f = Math.exp(e.deltaY * 0.0015);
    var px = v[0] + (e.clientX - r.left) / r.width * v[2], py = v[1] + (e.clientY - r.top) / r.height * v[3];
    v = [px - (px - v[0]) * f, py - (py - v[1]) * f, v[2] * f, v[3] * f]; set();
  }, { passive: false });
  var drag = null;
  box.addEventListener('pointerdown', function (e) { drag = [e.clientX, e.clientY, v[0], v[1]]; });
  window.addEventListener('pointerup', function () { drag = null; });
  box.addEventListener('pointermove', function (e) { if (!drag) return; var s = v[2] / box.clientWidth;
    v[0] = drag[2] - (e.clientX - drag[0]) * s; v[1] = drag[3] - (e.clientY - drag[1]) * s; set(); });
  readable();
});
