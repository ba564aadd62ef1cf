export default function (component) {
  const { data, setStateValue, parentElement } = component;
  let root = parentElement.querySelector('.tsviz-graph');
  if (!root) {
    root = document.createElement('div');
    root.className = 'tsviz-graph';
    root.innerHTML = '<div class="tsviz-bar"><button data-act="fit">Fit</button>' +
      '<button data-act="readable">100 %</button><button data-act="full">Full screen</button>' +
      '<span class="hint">drag: pan · wheel: zoom · click: select · double-click: open</span></div>' +
      '<div class="tsviz-port"></div>';
    parentElement.appendChild(root);
    const port = root.querySelector('.tsviz-port');
    const view = { x: 0, y: 0, k: 1, w: 1, h: 1 };
    root._view = view;
    const apply = () => {
      const svg = port.querySelector('svg');
      if (!svg) return;
      const vw = port.clientWidth, vh = port.clientHeight;
      svg.setAttribute('width', vw); svg.setAttribute('height', vh);
      svg.setAttribute('viewBox', `${view.x} ${view.y} ${vw / view.k} ${vh / view.k}`);
    };
    root._apply = apply;
    root._fit = (readable) => {
      const vw = port.clientWidth, vh = port.clientHeight;
      const fit = Math.min(vw / view.w, vh / view.h);
      const least = root._zoom || 1;
      view.k = readable ? Math.max(least, Math.min(fit, 1.5 * least)) : fit;
      view.x = view.w * view.k > vw ? 0 : -(vw / view.k - view.w) / 2;
      view.y = view.h * view.k > vh ? 0 : -(vh / view.k - view.h) / 2;
      apply();
      const start = root._nodes && root._nodes.get('n0');  // too wide: start above the graph's input
      if (readable && start && view.w * view.k > vw) {
        const r = start.getBoundingClientRect(), s = port.querySelector('svg').getBoundingClientRect();
        view.x = Math.max(0, view.x + (r.left + r.width / 2 - s.left) / view.k - vw / 2 / view.k);
        apply();
      }
    };
    root._focus = (ids) => {
      const svg = port.querySelector('svg');
      const node = ids.length ? root._nodes.get(ids[0]) : null;
      if (!svg || !node) return;
      const r = node.getBoundingClientRect(), s = svg.getBoundingClientRect();
      const inside = r.left >= s.left && r.right <= s.right && r.top >= s.top && r.bottom <= s.bottom;
      if (inside && view.k >= (root._zoom || 1)) return;  // already in view: moving it would only get in the way of a double-click
      const cx = view.x + (r.left + r.width / 2 - s.left) / view.k, cy = view.y + (r.top + r.height / 2 - s.top) / view.k;
      if (view.k < (root._zoom || 1)) view.k = root._zoom || 1;
      view.x = cx - port.clientWidth / 2 / view.k; view.y = cy - port.clientHeight / 2 / view.k;
      apply();
    };
    root.querySelector('.tsviz-bar').addEventListener('click', (e) => {
      const act = e.target.dataset && e.target.dataset.act;
      if (act === 'fit') root._fit(false);
      if (act === 'readable') root._fit(true);
      if (act === 'full') { document.fullscreenElement ? document.exitFullscreen() : root.requestFullscreen(); }
    });
    document.addEventListener('fullscreenchange', () => {
      port.style.height = document.fullscreenElement === root ? (window.innerHeight - 34) + 'px' : root._height + 'px';
      apply();
    });
    port.addEventListener('wheel', (e) => {
      e.preventDefault();
      const s = port.getBoundingClientRect();
      const mx = e.clientX - s.left, my = e.clientY - s.top;
      const gx = view.x + mx / view.k, gy = view.y + my / view.k;
      view.k = Math.min(8, Math.max(0.05, view.k * Math.exp(-e.deltaY * 0.0015)));
      view.x = gx - mx / view.k; view.y = gy - my / view.k;
      apply();
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
      if (drag.moved) { view.x = drag.vx - dx / view.k; view.y = drag.vy - dy / view.k; apply(); }
    });
    // Pointer capture hides a dblclick's target, so double-clicks are found here: a second click on the same
    // node within 450 ms opens it. The first click has already selected it (shown at once, before the server).
    let last = { id: null, t: 0 };
    port.addEventListener('pointerup', () => {
      const press = drag;
      drag = null; port.classList.remove('dragging');
      if (!press || press.moved) return;
      const g = press.target.closest ? press.target.closest('g.node') : null;
      if (!g) return;
      const now = performance.now();
      const double = last.id === g.dataset.id && now - last.t < 450;
      last = { id: double ? null : g.dataset.id, t: now };
      if (!double) {
        root._nodes.forEach((other) => other.classList.remove('tsviz-selected'));
        g.classList.add('tsviz-selected');
      }
      root._send(double ? 'activate' : 'select', g.dataset.id);
    });
  }
  // Events are sent as state values with a running count, not triggers: a trigger sent while the rerun of the
  // previous one is under way can be lost (a select followed at once by an open lost the open).
  root._count = root._count || 0;
  root._send = (name, id) => setStateValue(name, { id, n: ++root._count });
  const port = root.querySelector('.tsviz-port');
  root._height = data.height;
  if (root._zoom !== data.zoom) { root._zoom = data.zoom; root.dataset.layout = ''; }  // a new zoom: lay out again
  if (document.fullscreenElement !== root) port.style.height = data.height + 'px';
  if (root.dataset.layout !== data.layout) {
    root.dataset.layout = data.layout;
    port.innerHTML = data.svg;
    const svg = port.querySelector('svg');
    const box = svg.getAttribute('viewBox').split(/[ ,]+/).map(Number);
    root._view.w = box[2]; root._view.h = box[3];
    svg.removeAttribute('style');
    root._nodes = new Map();
    svg.querySelectorAll('g.node').forEach((g) => {
      const title = g.querySelector('title');
      g.dataset.id = title ? title.textContent : '';
      if (title) title.remove();  // the tooltip comes from the <a> Graphviz adds
      root._nodes.set(g.dataset.id, g);
    });
    root._fit(true);
    root.dataset.focus = '';
  }
  root._nodes.forEach((g, id) => {
    g.classList.toggle('tsviz-selected', data.marks[id] === 'selected');
    g.classList.toggle('tsviz-match', data.marks[id] === 'match');
  });
  const focus = JSON.stringify(data.focus);
  if (root.dataset.focus !== focus) { root.dataset.focus = focus; requestAnimationFrame(() => root._focus(data.focus)); }
  else root._apply();
}
