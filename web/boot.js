// Starts the Dashcard WebAssembly app. Kept as a file of its own (not an inline script) so the
// page's Content-Security-Policy can forbid inline scripts. Paths come from data attributes that
// Trunk fills in, relative to the page, so the app works under any sub-path.
const tag = document.querySelector('script[data-js][data-wasm]');

function showBootError(message) {
  const panel = document.getElementById('boot-error');
  const text = document.getElementById('boot-error-text');
  if (text && message) text.textContent = message;
  if (panel) panel.hidden = false;
}

try {
  const { default: init } = await import(tag.dataset.js);
  await init({ module_or_path: tag.dataset.wasm });
} catch (err) {
  console.warn('Dashcard failed to start:', err);
  showBootError(
    typeof WebAssembly === 'undefined'
      ? 'This browser does not support WebAssembly, which Dashcard needs to read cards.'
      : 'The page\'s WebAssembly module could not be loaded (' + (err && err.message ? err.message : err) + ').'
  );
}

// Keep the page's own files for offline use (web/sw.js). A page that cannot register one
// (a file:// copy, a browser without service workers) works as before, online.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register(new URL('sw.js', document.baseURI)).catch((err) => {
    console.warn('Dashcard works online only here: the offline copy could not be set up:', err);
  });
}
