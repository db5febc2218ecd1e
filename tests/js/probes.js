// What the browser tests read off a dashboard page: installed in every test page as `window.probes`
// (tests/page_scripts.py `probed_page`), called from Python as `page.evaluate("probes.shown", "wave")`.
window.probes = {
  /** The card of the panel with this id. */
  card(panel) {
    return document.querySelector(`[data-panel="${panel}"]`);
  },

  /** The card of the panel with this title. */
  titled(title) {
    return [...document.querySelectorAll('[data-panel]')]
      .find((c) => c.querySelector('.panel-title').innerText === title);
  },

  /** The ECharts instance inside a panel's card. */
  chartIn(card) {
    return getElement(card.querySelector('.panel-chart').id.slice(1)).chart;
  },

  chart(panel) {
    return probes.chartIn(probes.card(panel));
  },

  /** Every panel on the page is ready and painted. */
  allPainted() {
    return [...document.querySelectorAll('[data-panel][data-state=ready] .panel-chart')]
      .every((c) => c.dataset.painted);
  },

  /** The tree lists as many observables as its "N found" says. */
  treeShowsWhatItFound() {
    const m = document.body.innerText.match(/(\d+) found/);
    return Boolean(m) && document.querySelectorAll('[data-observable]').length === Number(m[1]);
  },

  /** The zoom window of a panel and its first series' points inside it (the first 400 of them). */
  shown(panel) {
    const option = probes.chart(panel).getOption();
    const zoom = (option.dataZoom || []).map((z) => [z.startValue, z.endValue, z.start, z.end]);
    const points = option.series[0].data || [];
    const window = zoom[0] || [-Infinity, Infinity];
    const inside = points.filter((p) => Array.isArray(p) && p[0] >= window[0] && p[0] <= window[1]);
    return {zoom, total: points.length, inside: inside.length, sample: inside.slice(0, 400),
      images: option.alpacaImages};
  },

  /** Zoom a panel's chart as a zoom box would: `{startValue, endValue}` or `{start, end}` in per cent. */
  zoom([panel, window]) {
    probes.chart(panel).dispatchAction({type: 'dataZoom', ...window});
  },

  /** The pictures a panel's chart has drawn (the image elements in its display list). */
  images(panel) {
    return probes.chart(panel).getZr().storage.getDisplayList().filter((e) => e.type === 'image');
  },

  /** A panel's drawn pictures (their sizes), its texts and the pixel scale of each grid. */
  drawn(panel) {
    const chart = probes.chart(panel);
    const drawn = chart.getZr().storage.getDisplayList();
    const option = chart.getOption();
    return {
      images: drawn.filter((e) => e.type === 'image' && String(e.style.image).includes('/api/images/'))
        .map((e) => [e.style.width, e.style.height]),
      texts: drawn.filter((e) => e.type === 'tspan').map((e) => e.style.text),
      scales: option.grid.map((g, i) => [g.width / option.xAxis[i].max, g.height / option.yAxis[i].max]),
    };
  },

  /** The paths of every stored picture drawn on the page. */
  drawnImages() {
    return [...document.querySelectorAll('.panel-chart')].flatMap((el) =>
      getElement(el.id.slice(1)).chart.getZr().storage.getDisplayList()
        .filter((e) => e.type === 'image' && String(e.style.image).includes('/api/images/'))
        .map((e) => new URL(e.style.image, location.href).pathname));
  },

  /** Per panel, each non-empty series as [first point, last point, lowest y, highest y]. */
  series() {
    return Object.fromEntries([...document.querySelectorAll('[data-panel]')].map((card) => {
      const lines = probes.chartIn(card).getOption().series.map((s) => s.data).filter((data) => data.length);
      const ys = (data) => data.map((point) => point[1]).filter((y) => y !== null);
      return [card.dataset.panel, JSON.stringify(lines.map((data) =>
        [data[0], data.at(-1), Math.min(...ys(data)), Math.max(...ys(data))]))];
    }));
  },

  /** Per panel, its legend and each series' name with its number of drawn points. */
  charts() {
    return Object.fromEntries([...document.querySelectorAll('[data-panel]')].map((card) => {
      const option = probes.chartIn(card).getOption();
      return [card.dataset.panel, {
        legend: (option.legend && option.legend[0] && option.legend[0].data) || [],
        series: option.series.map((s) => [s.name, (s.data || []).filter((p) => p && p[1] !== null).length]),
      }];
    }));
  },

  /** A panel's legend entries, joined by commas. */
  legend(panel) {
    return probes.chart(panel).getOption().legend[0].data.join();
  },

  /** Where on the page the trend point of `run` is drawn, in page pixels. */
  point([panel, run]) {
    const el = probes.card(panel).querySelector('.panel-chart');
    const chart = probes.chartIn(probes.card(panel));
    const point = chart.getOption().series[0].data.find((p) => p[2] === run);
    const [x, y] = chart.convertToPixel({seriesIndex: 0}, point);
    const box = el.getBoundingClientRect();
    return [box.left + x, box.top + y];
  },

  /** The image of the panel titled `title` fills its chart along one side, with square pixels. */
  squarePixels(title) {
    const chart = probes.chartIn(probes.titled(title));
    const option = chart.getOption(), grid = option.grid[0];
    const across = grid.width / option.xAxis[0].max, down = grid.height / option.yAxis[0].max;
    const fills = grid.left + grid.width <= chart.getWidth() && grid.top + grid.height <= chart.getHeight()
      && (chart.getWidth() - grid.width < 130 || chart.getHeight() - grid.height < 50);
    return Math.abs(across - down) <= 0.02 * across && fills;
  },

  /** How many points the first series of the panel titled `title` holds. */
  pointsDrawn(title) {
    return probes.chartIn(probes.titled(title)).getOption().series[0].data.length;
  },

  /** The number a stat panel titled `title` draws. */
  statText(title) {
    return probes.chartIn(probes.titled(title)).getOption().graphic[0].elements[0].style.text;
  },

  /** A panel's grids (top and height in pixels), the x range each x axis shows, and per series its name, the grid
   * of its x axis and how many points with a value it has: a plot and the difference or ratio under it. */
  grids(panel) {
    const chart = probes.chart(panel);
    const option = chart.getOption();
    const model = chart.getModel();
    return {
      grids: option.grid.map((_, i) => {
        const rect = model.getComponent('grid', i).coordinateSystem.getRect();
        return [rect.y, rect.height];
      }),
      axes: option.xAxis.map((_, i) => model.getComponent('xAxis', i).axis.scale.getExtent()),
      series: option.series.map((s) => [
        s.name, s.xAxisIndex || 0, (s.data || []).filter((p) => p && p[1] !== null).length,
      ]),
    };
  },

  /** The panel's main x axis shows less than `span` of its data (it was zoomed in). */
  zoomedWithin([panel, span]) {
    const [low, high] = probes.grids(panel).axes[0];
    return high - low < span;
  },
};
