//! The worked example of `docs/format/cloudwatch.md`, byte for byte.

use super::series::SeriesKey;
use super::stats::Stats;
use crate::cloudwatch::alarms::model::{decode, encode, HistoryItem};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

const SERIES_JSON: &str = r#"{"dimensions":[["TableName","music"]],"name":"ConsumedReadCapacityUnits","namespace":"AWS/DynamoDB","unit":"Count"}"#;
const HISTORY_JSON: &str =
    r#"{"alarm":"a","at":1765000000.0,"kind":"StateUpdate","summary":"s","data":"{}"}"#;

#[test]
fn worked_example() {
    let doc = include_str!("../../../../docs/format/cloudwatch.md");
    let key = SeriesKey::new(
        "AWS/DynamoDB",
        "ConsumedReadCapacityUnits",
        vec![("TableName".into(), "music".into())],
    );
    assert_eq!(format!("{:016x}", key.id()), "4e6794620ea83786");
    let stored = key.encode("Count");
    assert_eq!(hex(&stored[..4]), "18e075bd");
    assert_eq!(&stored[4..], SERIES_JSON.as_bytes());
    assert_eq!(SeriesKey::decode(&stored), Ok((key.clone(), "Count".to_string())));
    assert_eq!(hex(&super::point_key(key.id(), 29_416_666)), "4e6794620ea837860000000001c0dcda");
    let s = Stats { count: 2.0, sum: 1.5, min: 0.5, max: 1.0 };
    assert_eq!(
        hex(&s.encode()),
        "010000000000000040000000000000f83f000000000000e03f000000000000f03fe2bb311c"
    );
    let h = HistoryItem {
        alarm: "a".into(),
        at: 1_765_000_000.0,
        kind: "StateUpdate".into(),
        summary: "s".into(),
        data: "{}".into(),
    };
    let stored = encode(&h);
    assert_eq!(hex(&stored[..4]), "a5c8e614");
    assert_eq!(&stored[4..], HISTORY_JSON.as_bytes());
    assert_eq!(decode::<HistoryItem>(&stored).unwrap(), h);
    // The document shows the same bytes.
    for shown in [
        "4e6794620ea83786 0000000001c0dcda",
        "18e075bd",
        SERIES_JSON,
        "e2bb311c",
        "000000000000f83f   sum 1.5",
        "a5c8e614",
        HISTORY_JSON,
    ] {
        assert!(doc.contains(shown), "docs/format/cloudwatch.md shows {shown}");
    }
}
