//! The model-driven codec of CloudWatch's trimmed botocore model on arbitrary bytes: the first
//! byte picks an operation, the rest is read as a query-protocol form, as RPC v2 CBOR and as
//! JSON 1.0. None may panic. Whatever input decodes is already normalized (normalizing it
//! again gives it back unchanged, so the three protocols hand the service one value model),
//! and every output encoder takes it as if it were the operation's output: the JSON answer is
//! an object, the CBOR answer decodes (to a map, or is empty for an operation without output),
//! the XML answer is the operation's response element.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value as Json;
use shale_aws::model::{Model, Operation};
use shale_aws::{cbor, query::Form};
use shale_server::cloudwatch::MODEL_JSON;
use std::sync::OnceLock;

struct Fixture {
    model: Model,
    operations: Vec<String>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let model = Model::parse(MODEL_JSON).unwrap();
        let raw: Json = serde_json::from_str(MODEL_JSON).unwrap();
        let operations: Vec<String> =
            raw["operations"].as_object().unwrap().keys().cloned().collect();
        assert!(!operations.is_empty());
        Fixture { model, operations }
    })
}

fn check_decoded(model: &Model, op: &Operation, input: Json) {
    let again = model.normalize_input(op, input.clone());
    assert_eq!(again.as_ref().ok(), Some(&input), "{}: normalizing the input changed it", op.name);

    let json = model.output_to_json(op, &input);
    assert!(json.is_object(), "{}: JSON answer {json}", op.name);

    let bytes = model.output_to_cbor(op, &input);
    if op.output.is_none() {
        assert!(bytes.is_empty(), "{}: an answer without output shape", op.name);
    } else {
        let decoded = cbor::decode(&bytes);
        assert!(matches!(decoded, Ok(Json::Object(_))), "{}: CBOR answer {decoded:?}", op.name);
    }

    let xml = model.output_to_xml(op, &input, "urn:x", "rid");
    assert!(xml.starts_with(&format!("<{}Response", op.name)), "{}: {xml}", op.name);
    assert!(xml.ends_with(&format!("</{}Response>", op.name)), "{}: {xml}", op.name);
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let f = fixture();
    let name = &f.operations[usize::from(selector) % f.operations.len()];
    let op = f.model.operation(name).unwrap();

    if let Ok(form) = Form::parse(rest) {
        if let Ok(input) = f.model.input_from_query(op, &form) {
            check_decoded(&f.model, op, input);
        }
    }
    if let Ok(v) = cbor::decode(rest) {
        if let Ok(input) = f.model.normalize_input(op, v) {
            check_decoded(&f.model, op, input);
        }
    }
    if let Ok(v) = serde_json::from_slice::<Json>(rest) {
        if let Ok(input) = f.model.normalize_input(op, v) {
            check_decoded(&f.model, op, input);
        }
    }
});
