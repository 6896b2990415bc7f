//! Wire benchmarks (being written).
fn main() {}
