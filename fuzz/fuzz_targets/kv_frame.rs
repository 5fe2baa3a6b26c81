//! Feeds arbitrary bytes to the key-value protocol's frame decoders (request and response, AUTH
//! included) and handshake parsers: they must not panic or allocate beyond the input, and
//! whatever decodes must re-encode to a frame that decodes to the same thing.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_server::kv::codec;

const FRAME_LEN_MAX: u32 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    if let Ok((h, req)) = codec::decode_request_frame(data, FRAME_LEN_MAX) {
        let again = req.encode(h.id, h.flags & codec::FLAG_SYNC != 0);
        let (h2, req2) = codec::decode_request_frame(&again, FRAME_LEN_MAX).expect("re-encoded request decodes");
        assert_eq!((h2.id, req2), (h.id, req));
    }
    if let Ok((h, resp)) = codec::decode_response_frame(data, FRAME_LEN_MAX) {
        let again = resp.encode(h.id);
        let (h2, resp2) = codec::decode_response_frame(&again, FRAME_LEN_MAX).expect("re-encoded response decodes");
        assert_eq!((h2.id, resp2), (h.id, resp));
    }
    // The body decoders alone, for every type byte.
    if let Some((&ty, body)) = data.split_first() {
        let _ = codec::decode_request(ty, body);
        let _ = codec::decode_response(ty, body);
    }
    // AUTH's body (the first frame of a version-2 connection) on its own.
    if let Ok(codec::Request::Auth(auth)) = codec::decode_request(codec::op::AUTH, data) {
        let again = codec::Request::Auth(auth.clone()).encode(1, false);
        let (_, back) = codec::decode_request_frame(&again, FRAME_LEN_MAX).expect("re-encoded AUTH decodes");
        assert_eq!(back, codec::Request::Auth(auth));
    }
    // The handshake's fixed-size parts.
    if let Some(hello) = data.first_chunk::<{ codec::HELLO_LEN }>() {
        let _ = codec::parse_hello(hello);
    }
    if let Some(welcome) = data.first_chunk::<{ codec::WELCOME_LEN }>() {
        let _ = codec::parse_welcome(welcome);
    }
});
