//! CloudWatch's metric-math expressions (GetMetricData) on arbitrary text, with two series
//! `m1` and `m2` that share some timestamps: evaluation never panics, and a series result only
//! has timestamps some variable has (series combine on common timestamps, functions over a
//! list on the union, scalars apply to existing points).

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_server::cloudwatch::ops::math::{eval, Series, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

fn vars() -> &'static BTreeMap<String, Series> {
    static V: OnceLock<BTreeMap<String, Series>> = OnceLock::new();
    V.get_or_init(|| {
        BTreeMap::from([
            ("m1".to_string(), Series::from([(0, 1.0), (60, -2.5), (120, 0.0)])),
            ("m2".to_string(), Series::from([(60, 4.0), (180, f64::MAX), (240, 1e-300)])),
        ])
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(expr) = std::str::from_utf8(data) else { return };
    let vars = vars();
    if let Ok(Value::Series(s)) = eval(expr, vars) {
        let known: BTreeSet<i64> = vars.values().flat_map(|s| s.keys().copied()).collect();
        let stray: Vec<i64> = s.keys().filter(|t| !known.contains(t)).copied().collect();
        assert!(stray.is_empty(), "{expr:?} gave timestamps {stray:?} no variable has");
    }
});
