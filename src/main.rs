//! The `dashcard` command-line tool.
fn main() {}
