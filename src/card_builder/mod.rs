//! Synthetic cards written onto sparse files, for tests and benchmarks.
