// Pan and zoom for a Graphviz SVG inside a box: the dashboard's graph viewer and the review report both use
// this one script. The view is the SVG's viewBox: x, y (top left, in graph units), k (pixels per unit),
// w, h (the graph's size). Wheel zooms around the pointer, drag pans; a press that does not move is a tap,
// handed to onTap with its target (the viewer selects and opens nodes with it).
function tsvizPanZoom(port, onTap) {
  const view = { x: 0, y: 0, k: 1, w: 1, h: 1 };
  const pz = { view, least: 1 };  // least: the smallest "readable" scale (10 pt labels 10 px high at 1)
  pz.svg = () => port.querySelector('svg');
  pz.apply = () => {
    const svg = pz.svg();
    if (!svg) return;
    const vw = port.clientWidth, vh = port.clientHeight;
    svg.setAttribute('width', vw); svg.setAttribute('height', vh);
    svg.setAttribute('viewBox', `${view.x} ${view.y} ${vw / view.k} ${vh / view.k}`);
  };
  pz.measure = () => {  // a new drawing: its size from the viewBox Graphviz wrote
    const svg = pz.svg();
    const box = svg.getAttribute('viewBox').split(/[ ,]+/).map(Number);
    view.w = box[2]; view.h = box[3];
    svg.removeAttribute('style');
  };
  pz.fit = (readable, start) => {  // all of it, or readable: no smaller than `least`, starting above `start`
    const vw = port.clientWidth, vh = port.clientHeight;
    const fit = Math.min(vw / view.w, vh / view.h);
    view.k = readable ? Math.max(pz.least, Math.min(fit, 1.5 * pz.least)) : fit;
    view.x = view.w * view.k > vw ? 0 : -(vw / view.k - view.w) / 2;
    view.y = view.h * view.k > vh ? 0 : -(vh / view.k - view.h) / 2;
    pz.apply();
    if (readable && start && view.w * view.k > vw) {  // too wide: start above the graph's input
      const r = start.getBoundingClientRect(), s = pz.svg().getBoundingClientRect();
      view.x = Math.max(0, view.x + (r.left + r.width / 2 - s.left) / view.k - vw / 2 / view.k);
      pz.apply();
    }
  };
  pz.focus = (node) => {  // move `node` into view at a readable scale, unless it is already in view
    const svg = pz.svg();
    if (!svg || !node) return;
    const r = node.getBoundingClientRect(), s = svg.getBoundingClientRect();
    const inside = r.left >= s.left && r.right <= s.right && r.top >= s.top && r.bottom <= s.bottom;
    if (inside && view.k >= pz.least) return;  // moving it would only get in the way of a double-click
    const cx = view.x + (r.left + r.width / 2 - s.left) / view.k, cy = view.y + (r.top + r.height / 2 - s.top) / view.k;
    if (view.k < pz.least) view.k = pz.least;
    view.x = cx - port.clientWidth / 2 / view.k; view.y = cy - port.clientHeight / 2 / view.k;
    pz.apply();
  };
  port.addEventListener('wheel', (e) => {
    e.preventDefault();
    const s = port.getBoundingClientRect();
    const mx = e.clientX - s.left, my = e.clientY - s.top;
    const gx = view.x + mx / view.k, gy = view.y + my / view.k;
    view.k = Math.min(8, Math.max(0.05, view.k * Math.exp(-e.deltaY * 0.0015)));
    view.x = gx - mx / view.k; view.y = gy - my / view.k;
    pz.apply();
  }, { passive: false });
  let drag = null;
  port.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false, target: e.target };
    port.setPointerCapture(e.pointerId);
  });
  port.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) { drag.moved = true; port.classList.add('dragging'); }
    if (drag.moved) { view.x = drag.vx - dx / view.k; view.y = drag.vy - dy / view.k; pz.apply(); }
  });
  port.addEventListener('pointerup', () => {
    const press = drag;
    drag = null; port.classList.remove('dragging');
    if (press && !press.moved && onTap) onTap(press.target);
  });
  return pz;
}
