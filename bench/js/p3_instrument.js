() => {
  const p3 = (window.__p3 = { asked: 0, unpacked: [], painted: null });
  document.addEventListener('keydown', (e) => { if (e.key === 'Enter') p3.asked = e.timeStamp; }, true);
  const rows = window.alpaca.rows;
  window.alpaca.rows = (...args) => {
    const started = performance.now();
    const found = rows(...args);
    p3.unpacked.push([started, performance.now()]);
    return found;
  };
  const chart = document.querySelector('[data-panel] .panel-chart');
  const marks = () => {
    const painted = Number(chart.dataset.painted);
    const unpacked = p3.unpacked.filter(([started]) => started > p3.asked);
    if (!p3.asked || !unpacked.length || !(painted > unpacked.at(-1)[1])) return null;
    return [p3.asked, unpacked[0][0], unpacked.at(-1)[1], painted];
  };
  p3.arm = (timeout) => {
    p3.asked = 0;
    p3.painted = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        const found = marks();
        if (found) { observer.disconnect(); resolve(found); }
      });
      observer.observe(chart, { attributes: true, attributeFilter: ['data-painted'] });
      setTimeout(() => { observer.disconnect(); resolve(null); }, timeout);
    });
  };
}
