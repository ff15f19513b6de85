// Starts a card-reading worker (a module worker) from the page's own WebAssembly module. The
// page's first message says where the module's JS and wasm are (the URLs Trunk hashed into
// index.html; a message, not this script's query, which a service worker's kept copy of this
// file would not carry), and brings the module the page compiled (`compiled`), so this worker
// only instantiates it: a worker that fetched and compiled 1.5 MB of wasm itself took
// 0.2–0.9 s to start on a loaded 2-core machine. The module's `main` then sees it runs in a
// worker and becomes the reader (web/src/worker). One module for page and worker: a visitor
// downloads it once.
self.addEventListener('message', async (event) => {
  const { js, wasm, compiled } = event.data;
  const { default: init } = await import(js);
  try {
    await init({ module_or_path: compiled ?? wasm });
  } catch (e) {
    // A module this worker cannot instantiate: fetch and compile it itself, as without one.
    if (!compiled) throw e;
    await init({ module_or_path: wasm });
  }
}, { once: true });
