//! A metric series: namespace, metric name and dimensions (sorted by name, as CloudWatch
//! identifies a metric by the set of its dimensions), and its stored form.
//!
//! A series is stored under its id ([`SeriesKey::id`], the xxh3-64 of its canonical bytes,
//! big-endian) as a CRC32 (LE, over the JSON that follows) and a JSON object
//! `{"namespace": …, "name": …, "dimensions": [[name, value], …], "unit": …}` (see
//! `docs/format/cloudwatch.md`).

use super::stats::{seal, unseal, Corrupt};
use serde_json::{json, Value as Json};

/// One metric series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub namespace: String,
    pub name: String,
    /// (name, value), sorted by name; names unique.
    pub dimensions: Vec<(String, String)>,
}

impl SeriesKey {
    /// A series; `dimensions` are sorted here.
    pub fn new(namespace: &str, name: &str, mut dimensions: Vec<(String, String)>) -> SeriesKey {
        dimensions.sort();
        SeriesKey { namespace: namespace.to_string(), name: name.to_string(), dimensions }
    }

    /// The canonical bytes the id is computed from: every part followed by a NUL.
    fn canonical(&self) -> Vec<u8> {
        let mut b = Vec::new();
        for part in [&self.namespace, &self.name]
            .into_iter()
            .chain(self.dimensions.iter().flat_map(|(n, v)| [n, v]))
        {
            b.extend_from_slice(part.as_bytes());
            b.push(0);
        }
        b
    }

    /// The series' id: its key in the store.
    pub fn id(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(&self.canonical())
    }

    /// Whether the series has every dimension of `filter` (a dimension with no value matches
    /// any value), as ListMetrics filters.
    pub fn matches(&self, filter: &[(String, Option<String>)]) -> bool {
        filter.iter().all(|(n, v)| {
            self.dimensions.iter().any(|(dn, dv)| dn == n && v.as_ref().is_none_or(|v| v == dv))
        })
    }

    /// The stored form, with the series' unit.
    pub fn encode(&self, unit: &str) -> Vec<u8> {
        let dims: Vec<Json> = self.dimensions.iter().map(|(n, v)| json!([n, v])).collect();
        let body = json!({"namespace": self.namespace, "name": self.name, "dimensions": dims, "unit": unit})
            .to_string();
        seal(body.as_bytes())
    }

    /// Reads the stored form: the series and its unit.
    pub fn decode(bytes: &[u8]) -> Result<(SeriesKey, String), Corrupt> {
        let body = unseal(bytes, "series")?;
        let v: Json = serde_json::from_slice(body)
            .map_err(|e| Corrupt(format!("a stored series is not JSON: {e}")))?;
        let text = |k: &str| {
            v.get(k)
                .and_then(Json::as_str)
                .map(str::to_string)
                .ok_or_else(|| Corrupt(format!("a stored series has no {k}")))
        };
        let dims = v
            .get("dimensions")
            .and_then(Json::as_array)
            .ok_or_else(|| Corrupt("a stored series has no dimensions".into()))?
            .iter()
            .map(|d| match (d.get(0).and_then(Json::as_str), d.get(1).and_then(Json::as_str)) {
                (Some(n), Some(v)) => Ok((n.to_string(), v.to_string())),
                _ => Err(Corrupt("a stored dimension is not a [name, value] pair".into())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((SeriesKey::new(&text("namespace")?, &text("name")?, dims), text("unit")?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_sorted_id_stable_and_round_trip() {
        let a = SeriesKey::new(
            "AWS/DynamoDB",
            "SuccessfulRequestLatency",
            vec![("TableName".into(), "t".into()), ("Operation".into(), "GetItem".into())],
        );
        assert_eq!(a.dimensions[0].0, "Operation");
        let b = SeriesKey::new(
            "AWS/DynamoDB",
            "SuccessfulRequestLatency",
            vec![("Operation".into(), "GetItem".into()), ("TableName".into(), "t".into())],
        );
        assert_eq!(a.id(), b.id());
        // NUL separators: moving a byte between parts changes the id.
        assert_ne!(SeriesKey::new("ab", "c", vec![]).id(), SeriesKey::new("a", "bc", vec![]).id());
        let stored = a.encode("Milliseconds");
        assert_eq!(SeriesKey::decode(&stored), Ok((a.clone(), "Milliseconds".into())));
        let mut bad = stored.clone();
        let last = bad.len() - 2;
        bad[last] ^= 1;
        assert!(SeriesKey::decode(&bad).is_err());
        assert!(a.matches(&[("TableName".into(), Some("t".into()))]));
        assert!(a.matches(&[("Operation".into(), None)]));
        assert!(!a.matches(&[("TableName".into(), Some("u".into()))]));
    }
}
