//! Placeholder until the framer lands.
fn main() {}
