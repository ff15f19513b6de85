//! Entry point of the worker that reads cards (see `dashcard_web::worker`).
fn main() {
    dashcard_web::worker::start();
}
