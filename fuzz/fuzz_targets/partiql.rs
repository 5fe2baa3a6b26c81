//! Feeds arbitrary text to the PartiQL parser with a few parameters bound: no panic, no deep
//! recursion; whatever parses is planned for a hash+range table, and its conditions evaluate
//! and its updates apply against a sample item without panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_server::dynamodb::model::value::{item_from_json, AttrValue, Item};
use shale_server::dynamodb::partiql::{parse, plan, Statement};
use std::sync::OnceLock;

fn item() -> &'static Item {
    static I: OnceLock<Item> = OnceLock::new();
    I.get_or_init(|| {
        item_from_json(&serde_json::json!({
            "pk": {"S": "a"}, "sk": {"N": "1"}, "l": {"L": [{"N": "1"}, {"S": "x"}]},
            "m": {"M": {"k": {"S": "v"}}}, "ss": {"SS": ["x"]}, "ns": {"NS": ["1"]}
        }))
        .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let params = [AttrValue::S("p".into()), AttrValue::Bool(true)];
    for n in 0..=params.len() {
        let Ok(st) = parse(text, &params[..n]) else { continue };
        let condition = match &st {
            Statement::Select(s) | Statement::Exists(s) => s.condition.clone(),
            Statement::Update { condition, .. } | Statement::Delete { condition, .. } => {
                Some(condition.clone())
            }
            Statement::Insert { .. } => None,
        };
        let _ = plan::access(condition.as_ref(), "pk", Some("sk"));
        if let Some(c) = &condition {
            let _ = plan::key_of(c, &["pk", "sk"]);
            let _ = c.eval(item());
            let _ = c.eval(&Item::new());
        }
        if let Statement::Update { update, .. } = &st {
            let _ = update.apply(&mut item().clone());
            let _ = update.apply(&mut Item::new());
        }
    }
});
