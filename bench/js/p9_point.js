(run) => {
  const el = document.querySelector('[data-panel=trend] .panel-chart');
  const chart = getElement(el.id.slice(1)).chart;
  const point = chart.getOption().series[0].data.find((p) => p[2] === run);
  const [x, y] = chart.convertToPixel({seriesIndex: 0}, point);
  const box = el.getBoundingClientRect();
  return [box.left + x, box.top + y];
}
