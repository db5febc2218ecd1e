document.addEventListener('click', (e) => { window.__clicked = e.timeStamp; }, true);
document.addEventListener('keydown', (e) => { if (e.key === 'Enter') window.__clicked = e.timeStamp; }, true);
