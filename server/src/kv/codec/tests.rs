use super::*;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

#[test]
fn worked_example_of_docs_protocol_md() {
    let get = Request::Get { keyspace: "default".into(), key: b"k".to_vec() }.encode(1, false);
    assert_eq!(
        get,
        hex("20 00 00 00 8e fb e4 bd 02 00 00 00 01 00 00 00 00 00 00 00 \
             07 00 00 00 64 65 66 61 75 6c 74 01 00 00 00 6b")
    );
    let put =
        Request::Put { keyspace: "default".into(), key: b"k".to_vec(), value: b"v1".to_vec() }
            .encode(2, true);
    assert_eq!(
        put,
        hex("26 00 00 00 75 22 2a f2 04 01 00 00 02 00 00 00 00 00 00 00 \
             07 00 00 00 64 65 66 61 75 6c 74 01 00 00 00 6b 02 00 00 00 76 31")
    );
    assert_eq!(hello().to_vec(), hex("53 48 4b 56 01 00 00 00"));
    assert_eq!(
        welcome(None, 16 << 20, 128).to_vec(),
        hex("53 48 4b 56 01 00 00 00 00 00 00 01 80 00 00 00")
    );
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
