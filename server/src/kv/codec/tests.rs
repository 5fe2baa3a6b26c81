use super::*;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

/// The bytes of the worked example's text block in `docs/protocol.md`: on each line, the
/// two-digit hex tokens after an optional upper-case label, up to the first other token.
fn documented_example_bytes() -> Vec<u8> {
    let doc = include_str!("../../../../docs/protocol.md");
    let section = &doc[doc.find("## Worked example").unwrap()..];
    let block = &section[section.find("```text\n").unwrap() + 8..];
    let block = &block[..block.find("```").unwrap()];
    let mut out = Vec::new();
    for line in block.lines() {
        let mut tokens = line.split_whitespace().peekable();
        if tokens.peek().is_some_and(|t| t.chars().all(|c| c.is_ascii_uppercase() || c == '_')) {
            tokens.next();
        }
        for t in tokens {
            let is_hex =
                t.len() == 2 && t.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
            if !is_hex {
                break;
            }
            out.push(u8::from_str_radix(t, 16).unwrap());
        }
    }
    out
}

#[test]
fn worked_example_of_docs_protocol_md() {
    const ID: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let nonce: [u8; NONCE_LEN] = std::array::from_fn(|i| i as u8);
    let signature = auth_signature(SECRET.as_bytes(), &nonce, ID);
    // An independent computation (Python's hmac module) gave the same.
    assert_eq!(
        signature.to_vec(),
        hex("e8 0d dd 4c 71 8c 42 de 06 30 65 49 e2 46 f2 41 \
             9f 7e d8 4b ff 72 5e 8f dd 75 6a cb fb 77 30 b0")
    );
    let auth = Request::Auth(AuthRequest::sign(ID, SECRET, None, &nonce)).encode(1, false);
    let get = Request::Get { keyspace: "default".into(), key: b"k".to_vec() }.encode(2, false);
    assert_eq!(
        get,
        hex("20 00 00 00 a6 52 fa e5 02 00 00 00 02 00 00 00 00 00 00 00 \
             07 00 00 00 64 65 66 61 75 6c 74 01 00 00 00 6b")
    );
    let put =
        Request::Put { keyspace: "default".into(), key: b"k".to_vec(), value: b"v1".to_vec() }
            .encode(3, true);
    assert_eq!(hello(VERSION).to_vec(), hex("53 48 4b 56 02 00 00 00"));
    let welcome = welcome_v2(16 << 20, 128, &nonce);
    assert_eq!(welcome[..WELCOME_LEN], hex("53 48 4b 56 02 00 00 00 00 00 00 01 80 00 00 00"));
    // The example, in the order the document shows it.
    let example: Vec<Vec<u8>> = vec![
        hello(VERSION).to_vec(),
        welcome.to_vec(),
        signature.to_vec(),
        auth,
        Response::Done.encode(1),
        get,
        Response::NotFound.encode(2),
        put,
        Response::Done.encode(3),
        Response::Value(b"v1".to_vec()).encode(4),
    ];
    assert_eq!(documented_example_bytes(), example.concat());
    // The frames decode to what they say.
    let (h, r) = decode_request_frame(&example[3], FRAME_LEN_MAX_DEFAULT).unwrap();
    let Request::Auth(a) = r else { panic!("{r:?}") };
    assert_eq!(
        (h.id, a.access_key_id.as_str(), a.session_token, a.signature.len()),
        (1, ID, None, 32)
    );
    let w = parse_welcome(&welcome[..WELCOME_LEN].try_into().unwrap()).unwrap();
    assert_eq!(
        w,
        Welcome { version: 2, refusal: None, frame_len_max: 16 << 20, inflight_max: 128 }
    );
}

#[test]
fn the_version_1_handshake_is_unchanged() {
    assert_eq!(hello(VERSION_1).to_vec(), hex("53 48 4b 56 01 00 00 00"));
    assert_eq!(
        welcome(VERSION_1, None, 16 << 20, 128).to_vec(),
        hex("53 48 4b 56 01 00 00 00 00 00 00 01 80 00 00 00")
    );
    // A refusal: 16 bytes naming the newest version.
    let refused = welcome(VERSION, Some(ErrorCode::AuthRequired), 16 << 20, 128);
    assert_eq!(refused.to_vec(), hex("53 48 4b 56 02 00 32 00 00 00 00 01 80 00 00 00"));
    assert_eq!(parse_welcome(&refused).unwrap().refusal, Some(ErrorCode::AuthRequired));
    assert_eq!(parse_hello(&hello(VERSION_1)), Some(1));
    assert!(speaks(1) && speaks(2) && !speaks(0) && !speaks(3));
    assert!(has_nonce(VERSION) && !has_nonce(VERSION_1));
}

#[test]
fn auth_requests_hide_their_secrets_and_error_codes_round_trip() {
    let a = AuthRequest::sign("AKID", "secret", Some("token-value"), &[7; NONCE_LEN]);
    let shown = format!("{:?}", Request::Auth(a.clone()));
    assert!(shown.contains("AKID") && !shown.contains("token-value"), "{shown}");
    assert!(!shown.contains(&format!("{:?}", a.signature)), "{shown}");
    // A different nonce, secret or key id signs differently.
    let sig =
        |secret: &str, id: &str, n: u8| auth_signature(secret.as_bytes(), &[n; NONCE_LEN], id);
    assert_eq!(a.signature, sig("secret", "AKID", 7).to_vec());
    assert_ne!(sig("secret", "AKID", 7), sig("secret", "AKID", 8));
    assert_ne!(sig("secret", "AKID", 7), sig("secreu", "AKID", 7));
    assert_ne!(sig("secret", "AKID", 7), sig("secret", "AKIE", 7));
    for (code, n) in
        [(ErrorCode::AuthRequired, 50), (ErrorCode::AuthFailed, 51), (ErrorCode::AccessDenied, 52)]
    {
        assert_eq!((code.to_u16(), ErrorCode::from_u16(n)), (n, code));
    }
}

fn requests() -> Vec<Request> {
    vec![
        Request::Ping(b"p".to_vec()),
        Request::Get { keyspace: "ks".into(), key: vec![0, 255] },
        Request::MultiGet { keyspace: "ks".into(), keys: vec![b"a".to_vec(), vec![]] },
        Request::Put { keyspace: "ks".into(), key: b"k".to_vec(), value: vec![7; 300] },
        Request::Delete { keyspace: "ks".into(), key: b"k".to_vec() },
        Request::Batch(vec![
            BatchOp::Put { keyspace: "a".into(), key: b"1".to_vec(), value: b"x".to_vec() },
            BatchOp::Delete { keyspace: "b".into(), key: b"2".to_vec() },
        ]),
        Request::Scan(Scan {
            keyspace: "ks".into(),
            range: ScanRange::Range { start: Some(b"a".to_vec()), end: None },
            limit: 10,
            reverse: true,
            token: Some(b"t".to_vec()),
        }),
        Request::Scan(Scan {
            keyspace: "ks".into(),
            range: ScanRange::Prefix(b"p".to_vec()),
            limit: 0,
            reverse: false,
            token: None,
        }),
        Request::CreateKeyspace("n".into()),
        Request::DropKeyspace("n".into()),
        Request::ListKeyspaces,
        Request::Stats,
        Request::Auth(AuthRequest::sign("AKID", "s", None, &[1; NONCE_LEN])),
        Request::Auth(AuthRequest {
            access_key_id: "ASIA".into(),
            session_token: Some(b"tok".to_vec()),
            signature: vec![],
        }),
    ]
}

fn responses() -> Vec<Response> {
    vec![
        Response::Done,
        Response::Value(b"v".to_vec()),
        Response::NotFound,
        Response::Values(vec![Some(b"a".to_vec()), None]),
        Response::Page {
            entries: vec![(b"k".to_vec(), b"v".to_vec())],
            token: Some(b"k".to_vec()),
        },
        Response::Page { entries: vec![], token: None },
        Response::Keyspaces(vec!["default".into(), "x".into()]),
        Response::Text("stats".into()),
        Response::Pong(vec![]),
        Response::Error { code: ErrorCode::Poisoned, message: "no".into() },
        Response::Error { code: ErrorCode::Other(999), message: String::new() },
    ]
}

#[test]
fn every_request_and_response_round_trips() {
    for (i, r) in requests().into_iter().enumerate() {
        let frame = r.encode(i as u64, i % 2 == 0);
        let (h, back) = decode_request_frame(&frame, FRAME_LEN_MAX_DEFAULT).unwrap();
        assert_eq!((h.id, h.flags & FLAG_SYNC != 0, &back), (i as u64, i % 2 == 0, &r));
    }
    for (i, r) in responses().into_iter().enumerate() {
        let frame = r.encode(i as u64);
        let (h, back) = decode_response_frame(&frame, FRAME_LEN_MAX_DEFAULT).unwrap();
        assert_eq!((h.id, &back), (i as u64, &r));
    }
}

#[test]
fn damaged_frames_are_refused_never_panic() {
    for r in requests() {
        let frame = r.encode(5, false);
        // Every truncation, and every single-bit flip, is refused (the crc covers all but len).
        for cut in 0..frame.len() {
            assert!(
                decode_request_frame(&frame[..cut], FRAME_LEN_MAX_DEFAULT).is_err(),
                "{r:?} cut {cut}"
            );
        }
        for i in 0..frame.len() * 8 {
            let mut f = frame.clone();
            f[i / 8] ^= 1 << (i % 8);
            assert!(decode_request_frame(&f, FRAME_LEN_MAX_DEFAULT).is_err(), "{r:?} bit {i}");
        }
    }
}

#[test]
fn lengths_are_checked_before_allocation() {
    assert_eq!(check_len(15u32.to_le_bytes(), 100), Err(DecodeError::TooShort(15)));
    assert_eq!(
        check_len(101u32.to_le_bytes(), 100),
        Err(DecodeError::TooLarge { len: 101, max: 100 })
    );
    assert_eq!(check_len(100u32.to_le_bytes(), 100), Ok(100));
    // A count claiming more items than the body can hold is refused before `with_capacity`.
    let mut body = Vec::new();
    body.extend_from_slice(&2u32.to_le_bytes());
    body.extend_from_slice(b"ks");
    body.extend_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(decode_request(op::MULTIGET, &body), Err(DecodeError::Truncated));
    // A byte string longer than what is left.
    let mut body = Vec::new();
    body.extend_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(decode_request(op::PING, &body), Err(DecodeError::Truncated));
    assert_eq!(decode_request(0, &[]), Err(DecodeError::UnknownType(0)));
    assert_eq!(decode_response(0, &[]), Err(DecodeError::UnknownType(0)));
    assert_eq!(decode_request(op::STATS, &[1]), Err(DecodeError::Trailing(1)));
}
