//! `shale-server`: the network front doors (binary protocol, DynamoDB gateway) over the engine.
//!
//! Not built yet: the binary protocol lands with issue #6 and the DynamoDB gateway with #7.
//! Until then the binary says so and exits non-zero instead of pretending to serve.

fn main() -> std::process::ExitCode {
    eprintln!(
        "shale-server {}: the network server is not built yet; use the `shale` CLI \
         (`cargo run -p shale-tools --bin shale -- --db ./shale-data ...`)",
        env!("CARGO_PKG_VERSION")
    );
    std::process::ExitCode::from(2)
}
