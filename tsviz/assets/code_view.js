export default function (component) {
  const { setTriggerValue, parentElement } = component;
  // lines and highlight come as JSON text (tsviz/ui/viewer.py)
  const data = { ...component.data, lines: JSON.parse(component.data.lines),
    highlight: JSON.parse(component.data.highlight) };
  let box = parentElement.querySelector('.tsviz-code');
  if (!box) {
    box = document.createElement('div');
    box.className = 'tsviz-code';
    box.addEventListener('click', (e) => {
      const row = e.target.closest('div[data-line]');
      if (row) setTriggerValue('line', Number(row.dataset.line));
    });
    parentElement.appendChild(box);
  }
  box.style.maxHeight = data.height + 'px';
  if (box.dataset.text !== data.token) {
    box.dataset.text = data.token;
    box.replaceChildren(...data.lines.map((text, i) => {
      const row = document.createElement('div');
      row.dataset.line = String(i + 1);
      const n = document.createElement('span'); n.className = 'n'; n.textContent = String(i + 1);
      row.append(n, document.createTextNode(text));
      return row;
    }));
  }
  const hl = new Set(data.highlight);
  let first = null;
  box.querySelectorAll('div[data-line]').forEach((row) => {
    const on = hl.has(Number(row.dataset.line));
    row.classList.toggle('hl', on);
    if (on && !first) first = row;
  });
  if (first && box.dataset.scrolled !== JSON.stringify(data.highlight)) {
    box.dataset.scrolled = JSON.stringify(data.highlight);
    box.scrollTop = first.offsetTop - box.clientHeight / 3;
  }
}
