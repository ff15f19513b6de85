//! The JSON report: one document shared by the CLI and the web app.
