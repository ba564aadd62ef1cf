export default function (component) {
  const { setStateValue, parentElement } = component;
  // marks and focus come as JSON text (tsviz/ui/viewer.py)
  const data = { ...component.data, marks: JSON.parse(component.data.marks), focus: JSON.parse(component.data.focus) };
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
    // Pointer capture hides a dblclick's target, so double-clicks are found here: a second tap on the same
    // node within 450 ms opens it. The first tap has already selected it (shown at once, before the server).
    let last = { id: null, t: 0 };
    const pz = tsvizPanZoom(port, (target) => {
      const g = target.closest ? target.closest('g.node') : null;
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
    root._pz = pz;
    root.querySelector('.tsviz-bar').addEventListener('click', (e) => {
      const act = e.target.dataset && e.target.dataset.act;
      if (act === 'fit') pz.fit(false);
      if (act === 'readable') pz.fit(true, root._nodes && root._nodes.get('n0'));
      if (act === 'full') { document.fullscreenElement ? document.exitFullscreen() : root.requestFullscreen(); }
    });
    document.addEventListener('fullscreenchange', () => {
      port.style.height = document.fullscreenElement === root ? (window.innerHeight - 34) + 'px' : root._height + 'px';
      pz.apply();
    });
  }
  // Events are sent as state values with a running count, not triggers: a trigger sent while the rerun of the
  // previous one is under way can be lost (a select followed at once by an open lost the open).
  root._count = root._count || 0;
  root._send = (name, id) => setStateValue(name, { id, n: ++root._count });
  const port = root.querySelector('.tsviz-port');
  root._height = data.height;
  if (root._pz.least !== data.zoom) { root._pz.least = data.zoom; root.dataset.layout = ''; }  // a new zoom: lay out again
  if (document.fullscreenElement !== root) port.style.height = data.height + 'px';
  if (root.dataset.layout !== data.layout) {
    root.dataset.layout = data.layout;
    port.innerHTML = data.svg;
    const svg = port.querySelector('svg');
    root._pz.measure();
    root._nodes = new Map();
    svg.querySelectorAll('g.node').forEach((g) => {
      const title = g.querySelector('title');
      g.dataset.id = title ? title.textContent : '';
      if (title) title.remove();  // the tooltip is the inner <title> (svg.py turns Graphviz's <a xlink:title> into one)
      root._nodes.set(g.dataset.id, g);
    });
    root._pz.fit(true, root._nodes.get('n0'));
    root.dataset.focus = '';
  }
  root._nodes.forEach((g, id) => {
    g.classList.toggle('tsviz-selected', data.marks[id] === 'selected');
    g.classList.toggle('tsviz-match', data.marks[id] === 'match');
  });
  const focus = JSON.stringify(data.focus);
  if (root.dataset.focus !== focus) {
    root.dataset.focus = focus;
    requestAnimationFrame(() => root._pz.focus(data.focus.length ? root._nodes.get(data.focus[0]) : null));
  } else root._pz.apply();
}
