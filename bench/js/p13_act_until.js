async ({ act, input, value, until, min, differs, timeout }) => {
  // Click `act` (or type `value` into the text field `input`), and resolve with the ms until at least `min` elements
  // match the selector `until` (and, with `differs`, the text of the first is no longer what it was), painted: the
  // frame after the change. The page's own clock; a MutationObserver, no polling.
  const before = differs ? (document.querySelector(until)?.textContent ?? '') : null;
  const ready = () => {
    const found = document.querySelectorAll(until);
    if (found.length < min) return false;
    return before === null || (found[0].textContent !== before && found[0].textContent.trim() !== '');
  };
  const started = performance.now();
  const shown = new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      if (ready()) { observer.disconnect(); resolve(); }
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    setTimeout(() => { observer.disconnect(); reject(new Error(`${until} not shown within ${timeout} ms`)); }, timeout);
  });
  if (input) {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  } else {
    act.click();
  }
  await shown;
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return performance.now() - started;
}
