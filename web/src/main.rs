//! Entry point of the web app. One WebAssembly module serves both sides: on the page it
//! installs the panic panel and mounts the app on `<body>`; started in a worker
//! (`web/worker-boot.js`) it becomes the worker that reads cards. Sharing the module halves
//! what a visitor downloads (the core, serde and std would otherwise come twice).
use wasm_bindgen::JsCast;

fn main() {
    if js_sys::global().dyn_into::<web_sys::Window>().is_ok() {
        dashcard_web::panic_panel::install();
        leptos::mount::mount_to_body(dashcard_web::App);
    } else {
        dashcard_web::worker::start();
    }
}
