() => {
  if (!document.querySelector('.q-table')) return null;
  return new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
}
