() => {
  window.__p9 = { asked: 0 };
  const mark = (e) => { window.__p9.asked = e.timeStamp; };
  document.addEventListener('keydown', mark, true);
  document.addEventListener('mousedown', mark, true);
}
