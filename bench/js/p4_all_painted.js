(count) => {
  const cards = [...document.querySelectorAll('[data-panel]')];
  if (cards.length !== count || cards.some(c => c.dataset.state === 'loading')) return null;
  const charts = cards.filter(c => c.dataset.state === 'ready' && !c.querySelector('.panel-table'))
    .map(c => c.querySelector('.panel-chart'));
  if (charts.some(c => !c || !c.dataset.painted)) return null;
  const pngs = performance.getEntriesByType('resource').filter(e => e.name.includes('/api/images/'));
  if (pngs.length < window.__expectedImages) return null;
  return Math.max(...charts.map(c => Number(c.dataset.painted)), ...pngs.map(e => e.responseEnd));
}
