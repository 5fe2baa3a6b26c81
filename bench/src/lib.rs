//! shale-bench: the db_bench/YCSB-style harness (issue #5). The engine's criterion
//! micro-benchmarks live beside the code they measure, in `engine/benches/`.
