async ({b64, side, colors}) => {
  // the heatmap blocks the page for seconds: leave NiceGUI's socket first, or its reconnect reloads the page
  window.socket.io.reconnection(false);
  window.socket.disconnect();
  const { echarts } = await import('nicegui-echart');
  const raw = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const values = new Float32Array(raw.buffer);
  const data = new Array(values.length);
  let low = Infinity, high = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = +values[i].toPrecision(5);
    data[i] = [i % side, Math.floor(i / side), v];
    if (v < low) low = v;
    if (v > high) high = v;
  }
  const payload = JSON.stringify({series: [{type: 'heatmap', data}]});
  const box = document.createElement('div');
  box.style.cssText = 'position:fixed;left:0;top:0;width:1000px;height:1000px;z-index:9999;background:#fff';
  document.body.append(box);
  const start = performance.now();
  const parsed = JSON.parse(payload);
  const chart = echarts.init(box);
  const finished = new Promise(resolve => chart.on('finished', resolve));
  const axis = {type: 'category', data: [...Array(side).keys()]};
  chart.setOption({
    animation: false, xAxis: axis, yAxis: {...axis, inverse: true},
    visualMap: {min: low, max: high, show: false, inRange: {color: colors}},
    series: [{type: 'heatmap', data: parsed.series[0].data, progressive: 0}],
  });
  await finished;
  const ms = performance.now() - start;
  chart.dispose();
  box.remove();
  return {ms, bytes: payload.length};
}
