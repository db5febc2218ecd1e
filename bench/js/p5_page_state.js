(since) => ({url: location.href, now: performance.now(), since,
  run: document.querySelector('input[aria-label=Run]')?.value,
  panels: [...document.querySelectorAll('[data-panel]')].map(c => [c.dataset.panel, c.dataset.state,
    Number(c.querySelector('.panel-chart')?.dataset.painted)])})
