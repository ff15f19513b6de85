//! Entry point of the web app: install the panic panel, then mount the app on `<body>`.
fn main() {
    dashcard_web::panic_panel::install();
    leptos::mount::mount_to_body(dashcard_web::App);
}
