//! The AWS wire layer's decoders on arbitrary input: protocol detection from arbitrary headers
//! and paths, the SigV4 header parser, the query protocol's form decoder, and the CBOR decoder.
//! None may panic; a form or CBOR body that decodes must re-encode (CBOR) to a value that
//! decodes to the same JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_aws::{cbor, protocol, query::Form, sigv4::AuthHeader};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    match selector % 4 {
        0 => {
            // Headers from the input: "name: value" lines, then the path.
            let text = String::from_utf8_lossy(rest);
            let mut headers = http::HeaderMap::new();
            let mut lines = text.lines();
            let path = lines.next().unwrap_or("/");
            for line in lines {
                if let Some((k, v)) = line.split_once(':') {
                    if let (Ok(k), Ok(v)) = (
                        http::HeaderName::from_bytes(k.trim().as_bytes()),
                        http::HeaderValue::from_str(v.trim()),
                    ) {
                        headers.append(k, v);
                    }
                }
            }
            let _ = protocol::detect(&http::Method::POST, path, &headers);
            let _ = AuthHeader::parse(&headers).map(|a| a.scope().map(|s| s.service.len()));
        }
        1 => {
            if let Ok(form) = Form::parse(rest) {
                let _ = form.action();
                let _ = form.list("Tags");
            }
        }
        2 => {
            if let Ok(v) = cbor::decode(rest) {
                assert_eq!(cbor::decode(&cbor::encode(&v)).ok(), Some(v));
            }
        }
        _ => {
            let _ = shale_aws::sigv4::scope_service(&String::from_utf8_lossy(rest));
        }
    }
});
