// The quality page's chart helpers, under one name: `alpacaQuality` (the runs x checks grid of content/quality_grid.py
// refers to them from its option). Loaded into the quality page (web/assets.py).
(() => {
  // check names are the users' words, and ECharts writes a tooltip as HTML
  const escaped = (text) =>
    String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  window.alpacaQuality = {
    // a cell's tooltip: its check, its run and its state in words; `runs` are the grid's rows top to bottom,
    // `states` the state of each severity (a cell's third value)
    cellTooltip: (runs, states) => (p) =>
      p.marker + escaped(p.name) + "<br>run " + runs[p.value[1]] + ": " + (states[p.value[2]] ?? p.value[2]),
  };
})();
