//! Consumed capacity by DynamoDB's rules: a read unit is up to 4 KB read strongly consistently
//! (half a unit eventually consistently), a write unit is up to 1 KB written; transactions cost
//! double. `ReturnConsumedCapacity` picks the shape: `TOTAL` (table and units) or `INDEXES` (also
//! the per-table and per-index breakdown).

use crate::dynamodb::error::DResult;
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::Constraints;
use crate::dynamodb::schema::index::IndexKind;
use serde_json::{json, Map, Value as Json};

/// Bytes one read unit covers.
pub const READ_UNIT_BYTES: usize = 4096;
/// Bytes one write unit covers.
pub const WRITE_UNIT_BYTES: usize = 1024;

/// `ReturnConsumedCapacity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    None,
    Total,
    Indexes,
}

impl Mode {
    /// Reads `ReturnConsumedCapacity`.
    pub fn read(v: Member<Str>) -> DResult<Mode> {
        let v = v.get("ReturnConsumedCapacity")?;
        let v = v.as_deref();
        let mut c = Constraints::default();
        c.one_of("returnConsumedCapacity", v, &["INDEXES", "TOTAL", "NONE"]);
        c.finish()?;
        Ok(match v {
            Some("TOTAL") => Mode::Total,
            Some("INDEXES") => Mode::Indexes,
            _ => Mode::None,
        })
    }
}

fn units(bytes: usize, unit: usize) -> f64 {
    bytes.div_ceil(unit).max(1) as f64
}

/// Read units for reading `bytes` (one item, or a Query/Scan page's total).
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let u = units(bytes, READ_UNIT_BYTES);
    if consistent {
        u
    } else {
        u / 2.0
    }
}

/// Write units for writing an item of `bytes` (for an update or overwrite: the larger of the old
/// and new item).
pub fn write_units(bytes: usize) -> f64 {
    units(bytes, WRITE_UNIT_BYTES)
}

/// What one table's part of a request consumed: the table's units and each index's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consumed {
    pub read: f64,
    pub write: f64,
    /// Units of each index charged (name, local or global, units), in the order first charged.
    pub indexes: Vec<(String, IndexKind, f64)>,
}

impl Consumed {
    pub fn reads(units: f64) -> Consumed {
        Consumed { read: units, ..Consumed::default() }
    }

    pub fn writes(units: f64) -> Consumed {
        Consumed { write: units, ..Consumed::default() }
    }

    /// Charges `units` to the index `name`.
    pub fn index(&mut self, name: &str, kind: IndexKind, units: f64) {
        match self.indexes.iter_mut().find(|(n, _, _)| n == name) {
            Some(e) => e.2 += units,
            None => self.indexes.push((name.to_string(), kind, units)),
        }
    }

    /// `self` with every unit multiplied by `k` (transactions cost double).
    pub fn times(mut self, k: f64) -> Consumed {
        self.read *= k;
        self.write *= k;
        for e in &mut self.indexes {
            e.2 *= k;
        }
        self
    }

    pub fn add(&mut self, other: &Consumed) {
        self.read += other.read;
        self.write += other.write;
        for (n, kind, u) in &other.indexes {
            self.index(n, *kind, *u);
        }
    }

    /// The `ConsumedCapacity` object, or `None` when the request did not ask. `CapacityUnits`
    /// counts the table's and the indexes' units; with INDEXES, `Table` has the table's and
    /// `LocalSecondaryIndexes`/`GlobalSecondaryIndexes` each charged index's.
    pub fn to_json(&self, table: &str, mode: Mode) -> Option<Json> {
        if mode == Mode::None {
            return None;
        }
        let index_units: f64 = self.indexes.iter().map(|e| e.2).sum();
        let total = self.read + self.write + index_units;
        let mut m = Map::new();
        m.insert("TableName".into(), json!(table));
        m.insert("CapacityUnits".into(), json!(total));
        // Index units are reads in a read and writes in a write.
        let (index_reads, index_writes) =
            if self.write > 0.0 { (0.0, index_units) } else { (index_units, 0.0) };
        if self.read + index_reads > 0.0 {
            m.insert("ReadCapacityUnits".into(), json!(self.read + index_reads));
        }
        if self.write + index_writes > 0.0 {
            m.insert("WriteCapacityUnits".into(), json!(self.write + index_writes));
        }
        if mode == Mode::Indexes {
            let mut t = Map::new();
            t.insert("CapacityUnits".into(), json!(self.read + self.write));
            if self.read > 0.0 {
                t.insert("ReadCapacityUnits".into(), json!(self.read));
            }
            if self.write > 0.0 {
                t.insert("WriteCapacityUnits".into(), json!(self.write));
            }
            m.insert("Table".into(), Json::Object(t));
            for (kind, member) in [
                (IndexKind::Local, "LocalSecondaryIndexes"),
                (IndexKind::Global, "GlobalSecondaryIndexes"),
            ] {
                let arms: Map<String, Json> = self
                    .indexes
                    .iter()
                    .filter(|e| e.1 == kind)
                    .map(|(n, _, u)| (n.clone(), json!({ "CapacityUnits": u })))
                    .collect();
                if !arms.is_empty() {
                    m.insert(member.into(), Json::Object(arms));
                }
            }
        }
        Some(Json::Object(m))
    }
}

/// Per-table consumption of a multi-table request (batches, transactions), in table order.
#[derive(Debug, Default)]
pub struct PerTable(pub std::collections::BTreeMap<String, Consumed>);

impl PerTable {
    pub fn add(&mut self, table: &str, c: &Consumed) {
        self.0.entry(table.to_string()).or_default().add(c);
    }

    /// The `ConsumedCapacity` list, or `None` when the request did not ask.
    pub fn to_json(&self, mode: Mode) -> Option<Json> {
        if mode == Mode::None {
            return None;
        }
        Some(Json::Array(self.0.iter().filter_map(|(t, c)| c.to_json(t, mode)).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamodb_rounding() {
        assert_eq!(read_units(1, true), 1.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(100, false), 0.5);
        assert_eq!(read_units(0, false), 0.5);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        let c = Consumed::reads(0.5);
        assert_eq!(c.to_json("t", Mode::None), None);
        assert_eq!(
            c.to_json("t", Mode::Total).unwrap(),
            json!({"TableName": "t", "CapacityUnits": 0.5, "ReadCapacityUnits": 0.5})
        );
        assert_eq!(c.to_json("t", Mode::Indexes).unwrap()["Table"]["CapacityUnits"], json!(0.5));
    }
}
