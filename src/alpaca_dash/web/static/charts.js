// The dashboard's chart helpers, under one name: `alpaca`. The server refers to them from chart options (NiceGUI
// evaluates an option key starting with ":" as a JavaScript expression, e.g. ":data": "alpaca.rows('…','48')") and
// calls them with one-line run_javascript messages. Loaded once into the dashboard page (web/assets.py).
(() => {
  // base64 of little-endian float32 ("4") or float64 ("8") columns of one length (see panels/packed.py)
  const columns = (b64, widths) => {
    const text = atob(b64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const sizes = [...widths].map(Number);
    const n = bytes.length / sizes.reduce((a, b) => a + b, 0);
    let offset = 0;
    return sizes.map((size) => {
      const buffer = bytes.slice(offset, offset + n * size).buffer;
      offset += n * size;
      const numbers = size === 4 ? new Float32Array(buffer) : new Float64Array(buffer);
      return Array.from(numbers, (v) => (Number.isFinite(v) ? (size === 4 ? Number(v.toPrecision(7)) : v) : null));
    });
  };

  // marked as Vue marks raw objects: the page's element store is reactive, and ECharts reading thousands of points
  // through Vue's proxies costs more than drawing them
  const raw = (array) => Object.defineProperty(array, "__v_skip", { value: true });

  // ":key" values are JavaScript expressions, as NiceGUI's chart element evaluates them
  const evaluate = (node) => {
    if (Array.isArray(node)) node.forEach(evaluate);
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key.startsWith(":")) {
          node[key.slice(1)] = new Function(`return (${value})`)();
          delete node[key];
        } else evaluate(value);
      }
    }
    return node;
  };

  // text of users (run comments) in a tooltip, which ECharts writes as HTML
  const escaped = (text) =>
    String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  // zooming is reported once it has paused this long (a wheel or drag sends an event per step)
  const ZOOM_SETTLE_MS = 150;
  const zoomTimers = {};

  // numbers shown in a tooltip: at most 7 significant digits, a dash for a gap
  const shown = (v) => (v === null ? "—" : String(+v.toPrecision(7)));

  window.alpaca = {
    // packed series data: the points [[c0, c1, ...], ...], or a flat list of numbers (bar heights)
    rows(b64, widths) {
      const found = columns(b64, widths);
      return raw(found[0].map((_, i) => found.map((column) => column[i])));
    },
    values: (b64, widths) => raw(columns(b64, widths)[0]),

    // new options straight to the charts, by element id, without a Vue update; merged into the chart's when they
    // draw as many series in as many grids (a difference plot under the main one comes and goes with the reference)
    setOptions(options) {
      const grids = (option) => [].concat(option?.grid ?? []).length;
      for (const [id, option] of Object.entries(options)) {
        const chart = getElement(id)?.chart;
        if (!chart) continue;
        const old = chart.getOption();
        const same = old?.series?.length === option.series?.length && grids(old) === grids(option);
        chart.setOption(evaluate(option), { notMerge: !same });
      }
    },
    // PNGs fetched into the browser's cache, for a chart that draws them later
    preload(urls) {
      for (const url of urls) new Image().src = url;
    },

    // axis numbers as people read them: exponents for the very small and the very large
    numberLabel: (v) =>
      v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3) ? v.toExponential(1) : String(+v.toPrecision(4)),
    // run numbers as people write them: whole, without exponent or thousands separators
    runLabel: (v) => String(Math.round(v)),
    // the runs under the pointer: each run's number and value (the axis value alone read '390,063.00'), and the
    // comment and tags of a run pinned on the trend
    trendTooltip: (ps) =>
      []
        .concat(ps)
        .map((p) =>
          p.data && p.data.note
            ? p.marker + "run " + p.value[2] + ": " + escaped(p.data.note)
            : p.marker + "run " + p.value[2] + ": " + shown(p.value[1]),
        )
        .join("<br>"),
    correlationTooltip: (p) => "run " + p.value[2] + "<br>x " + p.value[0] + "<br>y " + p.value[1],

    // an image series' renderItem: the PNG over the data rectangle [0, columns] x [0, rows], with the label (if any)
    // in the visible top-left corner, wrapped when longer than the image is wide (about 6 pixels a character at
    // 11 px); re-run by ECharts on every zoom or resize. Called when the option reaches the page, before ECharts
    // draws: it starts fetching the PNG at once, and ECharts' own request for the same URL is then served from the
    // browser's memory cache
    imageRenderer(url, label) {
      new Image().src = url;
      return (params, api) => {
        const a = api.coord([0, 0]);
        const b = api.coord([api.value(0), api.value(1)]);
        const x = Math.min(a[0], b[0]);
        const y = Math.min(a[1], b[1]);
        const image = {
          type: "image",
          style: { image: url, x: x, y: y, width: Math.abs(b[0] - a[0]), height: Math.abs(b[1] - a[1]) },
        };
        if (!label) return image;
        const box = params.coordSys;
        const text = {
          type: "text",
          x: Math.max(x, box.x) + 4,
          y: Math.max(y, box.y) + 4,
          style: {
            text: label,
            width: Math.max(Math.min(box.width - 16, 6 * label.length), 8),
            overflow: "break",
            fontSize: 11,
            lineHeight: 14,
            fill: "#fff",
            backgroundColor: "rgba(0,0,0,0.55)",
            padding: [2, 4],
          },
        };
        return { type: "group", children: [image, text] };
      };
    },

    // an image region's renderItem: the PNG over the pixels [c0, c1] x [r0, r1] it was drawn from (data
    // [[c0, r0, c1, r1]]), over the overview image of a zoomed panel
    regionRenderer(url) {
      new Image().src = url;
      return (params, api) => {
        const a = api.coord([api.value(0), api.value(1)]);
        const b = api.coord([api.value(2), api.value(3)]);
        return {
          type: "image",
          style: {
            image: url,
            x: Math.min(a[0], b[0]),
            y: Math.min(a[1], b[1]),
            width: Math.abs(b[0] - a[0]),
            height: Math.abs(b[1] - a[1]),
          },
        };
      };
    },

    // the window a chart is zoomed into, emitted once the zooming settles: the x (and, for images, y) range in data
    // units, or whole when zoomed out again; the server draws that window from the stored array
    zoomWindow(id, emit) {
      clearTimeout(zoomTimers[id]);
      zoomTimers[id] = setTimeout(() => {
        const chart = getElement(id)?.chart;
        if (!chart) return;
        const zooms = chart.getOption().dataZoom || [];
        const whole = zooms.every((z) => (z.start ?? 0) <= 0 && (z.end ?? 100) >= 100);
        const span = (z) => (z && z.startValue !== undefined ? [z.startValue, z.endValue] : null);
        emit({ whole, x: span(zooms[0]), y: span(zooms[1]) });
      }, ZOOM_SETTLE_MS);
    },

    // download the chart with this element id as a PNG, through ECharts' getDataURL
    savePng(id, filename) {
      const chart = getElement(id).chart;
      const link = document.createElement("a");
      link.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
      link.download = filename;
      link.click();
    },
    // the browser's time zone (e.g. "Europe/Zurich"), for the local times the server shows on hover
    timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone,
    // marks the chart as painted, for the benchmarks and tests (ECharts' "finished" event)
    markPainted(id) {
      const el = document.getElementById(`c${id}`);
      if (el && el.closest("[data-state=ready]")) el.dataset.painted = performance.now();
    },
  };
})();
