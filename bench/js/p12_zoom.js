async ({panel, x, y, settle, expectPoints}) => {
  const card = document.querySelector(`[data-panel="${panel}"]`);
  const element = card.querySelector('.panel-chart');
  const chart = getElement(element.id.slice(1)).chart;
  const detail = () => {
    const option = chart.getOption();
    if (expectPoints) {
      const data = option.series[0].data || [];
      return data.filter(p => Array.isArray(p) && p[0] >= x[0] && p[0] <= x[1]).length >= expectPoints;
    }
    return (option.alpacaImages || []).length === 2 && option.dataZoom[0].startValue === x[0];
  };
  const start = performance.now();
  const zoom = y ? [{dataZoomIndex: 0, startValue: x[0], endValue: x[1]}, {dataZoomIndex: 1, startValue: y[0],
                    endValue: y[1]}] : [{dataZoomIndex: 0, startValue: x[0], endValue: x[1]}];
  chart.dispatchAction({type: 'dataZoom', batch: zoom});
  while (true) {
    await new Promise(r => setTimeout(r, 5));
    const painted = Number(element.dataset.painted);
    if (detail() && painted > start + settle) {
      const images = performance.getEntriesByType('resource').filter(e => e.name.includes('/api/images/'));
      const last = images[images.length - 1];
      if (y && !(last && last.responseEnd > start)) continue;
      return painted - start - settle;
    }
    if (performance.now() - start > 30000) throw new Error('no detail within 30 s');
  }
}
