(panel) => {
  const element = document.querySelector(`[data-panel="${panel}"] .panel-chart`);
  getElement(element.id.slice(1)).chart.dispatchAction({type: 'dataZoom', start: 0, end: 100});
}
