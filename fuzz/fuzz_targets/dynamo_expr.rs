//! Feeds arbitrary text to the DynamoDB gateway's expression parsers (condition, update, key
//! condition, projection) with a fixed set of name and value placeholders: no panic, no deep
//! recursion; whatever parses also evaluates (or applies) against a sample item without panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_server::dynamodb::expr::{parse_condition, parse_key_condition, parse_update, Values};
use shale_server::dynamodb::expr::path::{parse_projection, projection, Names};
use shale_server::dynamodb::model::value::{item_from_json, AttrValue, Item};
use std::collections::HashMap;
use std::sync::OnceLock;

struct Fixture {
    names: HashMap<String, String>,
    values: HashMap<String, AttrValue>,
    item: Item,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let names = [("#a", "a"), ("#b", "b"), ("#l", "l"), ("#m", "m")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let v = serde_json::json!({
            ":s": {"S": "x"}, ":n": {"N": "1.5"}, ":b": {"B": "AQI="}, ":ss": {"SS": ["x", "y"]},
            ":ns": {"NS": ["1", "2"]}, ":l": {"L": [{"N": "1"}]}, ":m": {"M": {"k": {"S": "v"}}},
            ":t": {"BOOL": true}, ":z": {"NULL": true}, ":ty": {"S": "N"}
        });
        let values = v
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, j)| (k.clone(), AttrValue::from_json(j).unwrap()))
            .collect();
        let item = item_from_json(&serde_json::json!({
            "a": {"N": "5"}, "b": {"S": "hello"}, "l": {"L": [{"N": "1"}, {"S": "x"}, {"L": []}]},
            "m": {"M": {"k": {"S": "v"}, "n": {"M": {"d": {"N": "9"}}}}}, "ss": {"SS": ["x"]}
        }))
        .unwrap();
        Fixture { names, values, item }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let f = fixture();
    let (mut names, mut values) = (Names::new(Some(&f.names)), Values::new(Some(&f.values)));
    if let Ok(c) = parse_condition(text, "ConditionExpression", &mut names, &mut values) {
        let _ = c.eval(&f.item);
        let _ = c.eval(&Item::new());
    }
    let (mut names, mut values) = (Names::new(Some(&f.names)), Values::new(Some(&f.values)));
    if let Ok(u) = parse_update(text, &mut names, &mut values) {
        let mut item = f.item.clone();
        let _ = u.apply(&mut item);
        let mut empty = Item::new();
        let _ = u.apply(&mut empty);
    }
    let (mut names, mut values) = (Names::new(Some(&f.names)), Values::new(Some(&f.values)));
    let _ = parse_key_condition(text, &mut names, &mut values);
    let mut names = Names::new(Some(&f.names));
    if let Ok(paths) = parse_projection(text, &mut names) {
        let _ = projection(&f.item, &paths);
    }
});
