// Starts a card-reading worker (a module worker) from the page's own WebAssembly module: the
// page passes the module's JS and wasm URLs (the ones Trunk hashed into index.html) in this
// script's query, and the module's `main` sees it runs in a worker and becomes the reader
// (web/src/worker). One module for page and worker: a visitor downloads it once.
const query = new URL(self.location.href).searchParams;
const { default: init } = await import(query.get('js'));
await init({ module_or_path: query.get('wasm') });
