//! Query-protocol output: an operation's JSON output written as the XML answer botocore's
//! `QueryParser` reads:
//!
//! ```text
//! <GetMetricStatisticsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
//!   <GetMetricStatisticsResult>
//!     <Label>l</Label>
//!     <Datapoints><member><Timestamp>2024-01-01T00:01:00.000Z</Timestamp><Sum>3.0</Sum></member></Datapoints>
//!   </GetMetricStatisticsResult>
//!   <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
//! </GetMetricStatisticsResponse>
//! ```
//!
//! Members in model (`xmlOrder`) order under their wire names; lists as
//! `<Name><member>…</member></Name>` (repeated `<Name>` when flattened), maps as
//! `<Name><entry><key>…</key><value>…</value></entry></Name>`; timestamps ISO 8601 UTC with
//! milliseconds, doubles as plain decimals (`0.0001`, `3.0`), booleans `true`/`false`.

use super::json::integer;
use super::time::Epoch;
use super::{Kind, Member, Model, Operation, NESTING_MAX};
use crate::query::XmlWriter;
use serde_json::Value as Json;

impl Model {
    /// `op`'s answer in the query protocol: `value`'s modeled members (nulls and values whose
    /// type does not fit left out) in the `resultWrapper` element, then the request id.
    pub fn output_to_xml(
        &self,
        op: &Operation,
        value: &Json,
        xmlns: &str,
        request_id: &str,
    ) -> String {
        let root = format!("{}Response", op.name);
        let mut w = XmlWriter::new();
        w.open_ns(&root, xmlns);
        if let Some(output) = &op.output {
            match &op.result_wrapper {
                Some(wrapper) => {
                    w.open(wrapper);
                    self.xml_members(output, value, &mut w, 1);
                    w.close(wrapper);
                }
                None => self.xml_members(output, value, &mut w, 1),
            }
        }
        w.open("ResponseMetadata");
        w.leaf("RequestId", request_id);
        w.close("ResponseMetadata");
        w.close(&root);
        w.finish()
    }

    /// The members of structure `shape` from the object `v`.
    fn xml_members(&self, shape: &str, v: &Json, w: &mut XmlWriter, depth: usize) {
        let (Some(Kind::Structure { members, .. }), Json::Object(m)) =
            (self.shape(shape).map(|s| &s.kind), v)
        else {
            return;
        };
        for member in members {
            if let Some(x) = m.get(member.wire_name()) {
                self.xml_value(member.wire_name(), member, x, w, depth + 1);
            }
        }
    }

    /// `v` as the element `name` of shape `member.shape`.
    fn xml_value(&self, name: &str, member: &Member, v: &Json, w: &mut XmlWriter, depth: usize) {
        let Some(shape) = self.shape(&member.shape) else {
            return;
        };
        if depth > NESTING_MAX || v.is_null() {
            return;
        }
        let open = |w: &mut XmlWriter| match &member.xml_namespace {
            Some(ns) => w.open_ns(name, ns),
            None => w.open(name),
        };
        match (&shape.kind, v) {
            (Kind::Structure { .. }, Json::Object(_)) => {
                open(w);
                self.xml_members(&member.shape, v, w, depth);
                w.close(name);
            }
            (Kind::List { member: item, flattened }, Json::Array(items)) => {
                if *flattened {
                    let item_name = item.location_name.as_deref().unwrap_or(name);
                    for x in items {
                        self.xml_value(item_name, item, x, w, depth + 1);
                    }
                } else {
                    open(w);
                    let item_name = item.location_name.as_deref().unwrap_or("member");
                    for x in items {
                        self.xml_value(item_name, item, x, w, depth + 1);
                    }
                    w.close(name);
                }
            }
            (Kind::Map { key, value, flattened }, Json::Object(entries)) => {
                let key_name = key.location_name.as_deref().unwrap_or("key");
                let value_name = value.location_name.as_deref().unwrap_or("value");
                let entry_name = if *flattened { name } else { "entry" };
                if !*flattened {
                    open(w);
                }
                for (k, x) in entries.iter().filter(|(_, x)| !x.is_null()) {
                    w.open(entry_name);
                    w.leaf(key_name, k);
                    self.xml_value(value_name, value, x, w, depth + 1);
                    w.close(entry_name);
                }
                if !*flattened {
                    w.close(name);
                }
            }
            (kind, v) => {
                if let Some(text) = scalar_text(kind, v) {
                    open(w);
                    w.text(&text);
                    w.close(name);
                }
            }
        }
    }
}

/// A scalar's text, if `v` fits `kind`.
fn scalar_text(kind: &Kind, v: &Json) -> Option<String> {
    Some(match (kind, v) {
        (Kind::Timestamp, v) => Epoch::from_json(v)?.to_iso_millis(),
        (Kind::Double | Kind::Float, Json::Number(n)) => double(n.as_f64()?),
        (Kind::Integer | Kind::Long, Json::Number(n)) => integer(n)?.to_string(),
        (Kind::Boolean, Json::Bool(b)) => b.to_string(),
        (Kind::String | Kind::Blob, Json::String(s)) => s.clone(),
        _ => return None,
    })
}

/// A double as a plain decimal with a point (`3.0`, `0.0001`), which every SDK's parser reads.
fn double(f: f64) -> String {
    let s = f.to_string();
    if s.contains(['.', 'e', 'E', 'i', 'N']) {
        s
    } else {
        s + ".0"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::cloudwatch;
    use serde_json::json;

    const XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

    /// The elements of `xml` as (depth, name, text) in document order.
    fn elements(xml: &str) -> Vec<(usize, String, String)> {
        use quick_xml::events::Event;
        let mut r = quick_xml::Reader::from_str(xml);
        let (mut out, mut depth) = (Vec::new(), 0);
        loop {
            match r.read_event().unwrap() {
                Event::Start(e) => {
                    out.push((
                        depth,
                        String::from_utf8(e.local_name().as_ref().to_vec()).unwrap(),
                        String::new(),
                    ));
                    depth += 1;
                }
                Event::Text(t) => out.last_mut().unwrap().2 = t.unescape().unwrap().into_owned(),
                Event::End(_) => depth -= 1,
                Event::Eof => break,
                _ => {}
            }
        }
        out
    }

    /// A GetMetricStatistics answer, also printed for the botocore check (`--nocapture`).
    fn get_metric_statistics_xml() -> String {
        let m = cloudwatch();
        let op = m.operation("GetMetricStatistics").unwrap();
        m.output_to_xml(
            op,
            &json!({"Label": "Latency <ms> & more", "Datapoints": [
                {"Timestamp": 1_704_067_260, "Sum": 3, "Unit": "Count",
                 "ExtendedStatistics": {"p99": 0.0001}},
                {"Timestamp": 1_704_067_320.25, "Average": 1.5, "SampleCount": 2.0,
                 "Minimum": null}]}),
            XMLNS,
            "req-1",
        )
    }

    #[test]
    fn get_metric_statistics_answer() {
        let xml = get_metric_statistics_xml();
        println!("GetMetricStatistics XML: {xml}");
        assert!(xml.starts_with(
            "<GetMetricStatisticsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">\
             <GetMetricStatisticsResult><Label>Latency &lt;ms&gt; &amp; more</Label>"
        ));
        let e = elements(&xml);
        let at = |d: usize, n: &str, t: &str| (d, n.to_string(), t.to_string());
        assert_eq!(
            e,
            vec![
                at(0, "GetMetricStatisticsResponse", ""),
                at(1, "GetMetricStatisticsResult", ""),
                at(2, "Label", "Latency <ms> & more"),
                at(2, "Datapoints", ""),
                at(3, "member", ""),
                at(4, "Timestamp", "2024-01-01T00:01:00.000Z"),
                at(4, "Sum", "3.0"),
                at(4, "Unit", "Count"),
                at(4, "ExtendedStatistics", ""),
                at(5, "entry", ""),
                at(6, "key", "p99"),
                at(6, "value", "0.0001"),
                at(3, "member", ""),
                at(4, "Timestamp", "2024-01-01T00:02:00.250Z"),
                at(4, "SampleCount", "2.0"),
                at(4, "Average", "1.5"),
                at(1, "ResponseMetadata", ""),
                at(2, "RequestId", "req-1"),
            ]
        );
    }

    #[test]
    fn no_output_and_empty_lists() {
        let m = cloudwatch();
        let op = m.operation("DeleteAlarms").unwrap();
        assert_eq!(
            m.output_to_xml(op, &json!({}), XMLNS, "r"),
            format!("<DeleteAlarmsResponse xmlns=\"{XMLNS}\"><ResponseMetadata><RequestId>r</RequestId>\
                     </ResponseMetadata></DeleteAlarmsResponse>")
        );
        let op = m.operation("DescribeAlarms").unwrap();
        let xml = m.output_to_xml(
            op,
            &json!({"MetricAlarms": [{"AlarmName": "a", "ActionsEnabled": false, "Period": 60,
                                      "Threshold": 1e-7, "Dimensions": [], "Statistic": 5}]}),
            XMLNS,
            "r",
        );
        assert!(xml.contains(
            "<MetricAlarms><member><AlarmName>a</AlarmName><ActionsEnabled>false</ActionsEnabled>\
             <Dimensions></Dimensions><Period>60</Period><Threshold>0.0000001</Threshold></member></MetricAlarms>"
        ), "{xml}");
    }

    #[test]
    fn flattened_lists_and_maps_and_namespaces() {
        let m = Model::parse(
            r#"{"operations": {"Op": {"name": "Op", "output": {"shape": "Out"}}},
                "shapes": {
                  "Out": {"type": "structure", "members": {
                     "Items": {"shape": "Flat"}, "Named": {"shape": "Named"},
                     "Tags": {"shape": "Tags"}, "N": {"shape": "S", "xmlNamespace": {"uri": "urn:n"}}}},
                  "Flat": {"type": "list", "member": {"shape": "S"}, "flattened": true},
                  "Named": {"type": "list", "member": {"shape": "S", "locationName": "item"}},
                  "Tags": {"type": "map", "key": {"shape": "S", "locationName": "K"},
                           "value": {"shape": "S"}, "flattened": true},
                  "S": {"type": "string"}}}"#,
        )
        .unwrap();
        let op = m.operation("Op").unwrap();
        let xml = m.output_to_xml(
            op,
            &json!({"Items": ["a", "b"], "Named": ["c"], "Tags": {"k": "v"}, "N": "x"}),
            "urn:x",
            "r",
        );
        assert_eq!(
            xml,
            "<OpResponse xmlns=\"urn:x\"><Items>a</Items><Items>b</Items><Named><item>c</item></Named>\
             <Tags><K>k</K><value>v</value></Tags><N xmlns=\"urn:n\">x</N>\
             <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></OpResponse>"
        );
    }

    #[test]
    fn doubles() {
        assert_eq!(double(3.0), "3.0");
        assert_eq!(double(-0.5), "-0.5");
        assert_eq!(double(0.0001), "0.0001");
        assert_eq!(double(1e21), "1000000000000000000000.0");
    }
}
