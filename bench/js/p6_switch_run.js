async () => {
  const chart = document.querySelector('[data-panel] .panel-chart');
  const pngs = () => performance.getEntriesByType('resource').filter(e => e.name.includes('/api/images/'));
  const before = pngs().length;
  const start = performance.now();
  [...document.querySelectorAll('button')].find(b => b.innerText.includes('chevron_right')).click();
  while (true) {
    await new Promise(r => setTimeout(r, 5));
    const fresh = pngs().slice(before);
    const painted = Number(chart.dataset.painted);
    if (fresh.length && painted > fresh[0].responseEnd) {
      return {ms: painted - start, png: fresh[0].encodedBodySize, fetch: fresh[0].responseEnd - fresh[0].startTime};
    }
    if (performance.now() - start > 30000) throw new Error('no new image within 30 s');
  }
}
