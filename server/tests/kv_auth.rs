//! Authentication and authorization on the key-value protocol, against the real server process
//! (and, for credentials that have already expired, which the server never hands out, the same
//! server code serving an IAM store made here): version 1 refused, AUTH failures closing the
//! connection, nothing served before AUTH, an IAM user's policy deciding each request, and
//! `--auth none` keeping version 1.

mod common;

use common::{Server, ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY};
use shale_server::client::{Client, ClientError, Credentials};
use shale_server::dynamo_client::{DynamoClient, HttpResponse};
use shale_server::kv::codec::{self, AuthRequest, ErrorCode, Request, Response, NONCE_LEN};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const AUTH_FAILED: &str =
    "authentication failed: the access key id, session token or signature is not valid";

/// Reads one response frame.
fn read_response(s: &mut TcpStream) -> (u64, Response) {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).unwrap();
    let mut rest = vec![0u8; u32::from_le_bytes(len) as usize];
    s.read_exact(&mut rest).unwrap();
    let frame = [len.to_vec(), rest].concat();
    let (h, r) = codec::decode_response_frame(&frame, u32::MAX).unwrap();
    (h.id, r)
}

/// The server has closed `s`: a read returns end of file (or a reset).
fn closed(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 1];
    matches!(s.read(&mut b), Ok(0) | Err(_))
}

/// Connects with a version-2 HELLO; returns the stream and the WELCOME's nonce.
fn hello_v2(addr: &str) -> (TcpStream, [u8; NONCE_LEN]) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&codec::hello(codec::VERSION)).unwrap();
    let mut w = [0u8; codec::WELCOME_V2_LEN];
    s.read_exact(&mut w).unwrap();
    let welcome = codec::parse_welcome(&w[..codec::WELCOME_LEN].try_into().unwrap()).unwrap();
    assert_eq!((welcome.version, welcome.refusal), (2, None));
    (s, w[codec::WELCOME_LEN..].try_into().unwrap())
}

/// Sends the AUTH `make` builds for the connection's nonce; returns the stream and the answer.
fn auth_with(
    addr: &str,
    make: impl FnOnce(&[u8; NONCE_LEN]) -> AuthRequest,
) -> (TcpStream, Response) {
    let (mut s, nonce) = hello_v2(addr);
    s.write_all(&Request::Auth(make(&nonce)).encode(1, false)).unwrap();
    let (id, r) = read_response(&mut s);
    assert_eq!(id, 1);
    (s, r)
}

/// AUTH must fail with `message`, and the server must close the connection.
fn assert_auth_fails(
    addr: &str,
    message: &str,
    make: impl FnOnce(&[u8; NONCE_LEN]) -> AuthRequest,
) {
    let (mut s, r) = auth_with(addr, make);
    assert_eq!(r, Response::Error { code: ErrorCode::AuthFailed, message: message.into() });
    assert!(closed(&mut s), "the connection stays open after a failed AUTH");
}

fn creds(id: &str, secret: &str, token: Option<&str>) -> Credentials {
    let mut c = Credentials::new(id, secret);
    c.session_token = token.map(str::to_string);
    c
}

/// Percent-encodes a form value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Calls IAM or STS (the AWS query protocol) at `addr` as the root.
fn query(addr: &str, service: &str, params: &[(&str, &str)]) -> String {
    let body: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
    let body = body.join("&");
    let ct = "application/x-www-form-urlencoded; charset=utf-8";
    let root = common::root();
    let signed = root.sign(service, addr, &[("content-type", ct)], body.as_bytes());
    let mut head = format!("POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ct}\r\n");
    for (k, v) in signed {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut c = DynamoClient::connect(addr, &root).unwrap();
    c.send_raw(&[head.as_bytes(), body.as_bytes()].concat()).unwrap();
    let r: HttpResponse = c.read_response().unwrap();
    let text = String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!(r.status, 200, "{service} {params:?}: {text}");
    text
}

/// The text of the first `<name>` element of `xml`.
fn tag(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no {name} in {xml}")) + open.len();
    let end = start + xml[start..].find('<').unwrap();
    xml[start..end].to_string()
}

#[test]
fn version_1_is_refused_and_bad_credentials_close_the_connection() {
    let server = Server::start(None, &[]);
    let addr = server.addr.as_str();
    // Version 1 has no AUTH: refused with a 16-byte WELCOME naming version 2.
    match Client::connect(addr) {
        Err(ClientError::Refused(ErrorCode::AuthRequired)) => {}
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a version-1 client was served"),
    }
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&codec::hello(codec::VERSION_1)).unwrap();
    let mut w = [0u8; codec::WELCOME_LEN];
    s.read_exact(&mut w).unwrap();
    let welcome = codec::parse_welcome(&w).unwrap();
    assert_eq!((welcome.version, welcome.refusal), (2, Some(ErrorCode::AuthRequired)));
    assert!(closed(&mut s));

    // Wrong key id, wrong secret: one message, and the connection is closed.
    assert_auth_fails(addr, AUTH_FAILED, |n| {
        AuthRequest::sign("AKIANOSUCHKEY0000000", ROOT_SECRET_ACCESS_KEY, None, n)
    });
    assert_auth_fails(addr, AUTH_FAILED, |n| {
        AuthRequest::sign(ROOT_ACCESS_KEY_ID, "not-the-secret", None, n)
    });
    // A signature made for another connection's nonce.
    let (_, other_nonce) = hello_v2(addr);
    assert_auth_fails(addr, AUTH_FAILED, |_| {
        AuthRequest::sign(ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY, None, &other_nonce)
    });
    let bad = Client::connect_with(addr, Some(&creds(ROOT_ACCESS_KEY_ID, "wrong", None)));
    assert!(
        matches!(&bad, Err(ClientError::Server { code: ErrorCode::AuthFailed, message }) if message == AUTH_FAILED),
        "{:?}",
        bad.err()
    );

    // Temporary credentials (STS GetSessionToken): they need their session token.
    let xml = query(
        &server.dynamo_addr,
        "sts",
        &[("Action", "GetSessionToken"), ("Version", "2011-06-15"), ("DurationSeconds", "900")],
    );
    let (id, secret, token) =
        (tag(&xml, "AccessKeyId"), tag(&xml, "SecretAccessKey"), tag(&xml, "SessionToken"));
    assert_auth_fails(addr, AUTH_FAILED, |n| AuthRequest::sign(&id, &secret, None, n));
    assert_auth_fails(addr, AUTH_FAILED, |n| AuthRequest::sign(&id, &secret, Some("wrong"), n));
    let temp = Client::connect_with(addr, Some(&creds(&id, &secret, Some(&token)))).unwrap();
    temp.put("default", b"t", b"temporary", false).unwrap();
    assert_eq!(temp.get("default", b"t").unwrap(), Some(b"temporary".to_vec()));

    // The root's connection works throughout.
    let root = common::kv_client(addr);
    root.ping(b"p").unwrap();
    assert_eq!(root.get("default", b"t").unwrap(), Some(b"temporary".to_vec()));
}

#[test]
fn nothing_is_served_before_auth() {
    let server = Server::start(None, &[]);
    let addr = server.addr.as_str();
    for req in [
        Request::Ping(b"p".to_vec()),
        Request::Get { keyspace: "default".into(), key: b"k".to_vec() },
        Request::ListKeyspaces,
    ] {
        let (mut s, _) = hello_v2(addr);
        s.write_all(&req.encode(5, false)).unwrap();
        let (id, r) = read_response(&mut s);
        assert_eq!(id, 5);
        assert!(matches!(r, Response::Error { code: ErrorCode::AuthRequired, .. }), "{r:?}");
        assert!(closed(&mut s));
    }
    // Before AUTH, frames are bounded by 64 KiB: a larger one is refused unread.
    let (mut s, _) = hello_v2(addr);
    s.write_all(&(100_000u32).to_le_bytes()).unwrap();
    let (_, r) = read_response(&mut s);
    assert!(matches!(r, Response::Error { code: ErrorCode::FrameTooLarge, .. }), "{r:?}");
    assert!(closed(&mut s));
    // AUTH, then requests pipelined behind it without waiting.
    let (mut s, nonce) = hello_v2(addr);
    let auth = AuthRequest::sign(ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY, None, &nonce);
    let frames =
        [Request::Auth(auth).encode(1, false), Request::Ping(b"x".to_vec()).encode(2, false)]
            .concat();
    s.write_all(&frames).unwrap();
    assert_eq!(read_response(&mut s), (1, Response::Done));
    assert_eq!(read_response(&mut s), (2, Response::Pong(b"x".to_vec())));
}

#[test]
fn an_iam_users_policy_decides_each_request() {
    let server = Server::start(None, &[]);
    let (addr, http) = (server.addr.as_str(), server.dynamo_addr.as_str());
    let root = common::kv_client(addr);
    root.create_keyspace("orders").unwrap();
    root.create_keyspace("users").unwrap();
    root.put("orders", b"o1", b"ten apples", true).unwrap();
    root.put("users", b"u1", b"ann", true).unwrap();

    // An IAM user allowed shale:Get on keyspace orders only, made through IAM over HTTP.
    let iam = |params: &[(&str, &str)]| {
        let mut all = vec![("Version", "2010-05-08")];
        all.extend_from_slice(params);
        query(http, "iam", &all)
    };
    iam(&[("Action", "CreateUser"), ("UserName", "alice")]);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"shale:Get","Resource":"arn:shale:kv:us-east-1:000000000000:keyspace/orders"}]}"#;
    iam(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "alice"),
        ("PolicyName", "read-orders"),
        ("PolicyDocument", policy),
    ]);
    let xml = iam(&[("Action", "CreateAccessKey"), ("UserName", "alice")]);
    let alice = creds(&tag(&xml, "AccessKeyId"), &tag(&xml, "SecretAccessKey"), None);

    let c = Client::connect_with(addr, Some(&alice)).unwrap();
    assert_eq!(c.get("orders", b"o1").unwrap(), Some(b"ten apples".to_vec()));
    let denied = |r: Result<Vec<u8>, ClientError>, action: &str, resource: &str| match r {
        Err(ClientError::Server { code: ErrorCode::AccessDenied, message }) => assert_eq!(
            message,
            format!(
                "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: \
                 {action} on resource: {resource} because no identity-based policy allows the \
                 {action} action"
            )
        ),
        other => panic!("{action} on {resource}: {other:?}"),
    };
    let users = "arn:shale:kv:us-east-1:000000000000:keyspace/users";
    let orders = "arn:shale:kv:us-east-1:000000000000:keyspace/orders";
    denied(c.get("users", b"u1").map(|v| v.unwrap_or_default()), "shale:Get", users);
    denied(c.put("orders", b"o2", b"x", false).map(|()| vec![]), "shale:Put", orders);
    denied(c.list_keyspaces().map(|_| vec![]), "shale:ListKeyspaces", "*");
    // The connection stays open after a denial.
    assert_eq!(c.get("orders", b"o1").unwrap(), Some(b"ten apples".to_vec()));
    c.ping(b"still here").unwrap();
    assert_eq!(root.get("orders", b"o2").unwrap(), None);
}

#[test]
fn with_auth_none_version_1_keeps_working() {
    let server = Server::start(None, &["--auth", "none"]);
    let addr = server.addr.as_str();
    let v1 = Client::connect(addr).unwrap();
    v1.put("default", b"k", b"v", true).unwrap();
    assert_eq!(v1.get("default", b"k").unwrap(), Some(b"v".to_vec()));
    // Version 2 clients authenticate with any credentials.
    let v2 = Client::connect_with(addr, Some(&creds("anyone", "anything", None))).unwrap();
    assert_eq!(v2.get("default", b"k").unwrap(), Some(b"v".to_vec()));
    assert_eq!(v2.list_keyspaces().unwrap(), vec!["default".to_string()]);
}

/// Credentials that have expired: the server never hands them out, so this runs the same
/// server code in this process over an IAM store holding an expired session.
#[test]
fn expired_temporary_credentials_are_refused() {
    use shale_engine::fs::MemFs;
    use shale_engine::{Db, Options};
    use shale_server::iam::caller::Authenticator;
    use shale_server::iam::seal::Sealer;
    use shale_server::iam::store::model::SessionOf;
    use shale_server::iam::store::root::RootCredentials;
    use shale_server::iam::store::{now_secs, Account, Store};
    use shale_server::kv::auth::KvAuth;
    use shale_server::kv::handlers::Handler;
    use shale_server::kv::server::{serve, Limits};
    use std::sync::Arc;

    let db = Db::open("/db", Options { fs: Arc::new(MemFs::new()), ..Options::default() }).unwrap();
    let store = Store::open(db.clone(), Sealer::ephemeral().unwrap(), Account::default()).unwrap();
    // The live one first: making a session drops those already expired.
    let live = store.create_session(SessionOf::Root, now_secs() + 600).unwrap();
    let old = store.create_session(SessionOf::Root, now_secs() - 60).unwrap();
    let root = RootCredentials::new(ROOT_ACCESS_KEY_ID.into(), ROOT_SECRET_ACCESS_KEY.into());
    let authenticator = Arc::new(Authenticator::new(Arc::new(store), root.unwrap()));
    let auth = Arc::new(KvAuth::SigV4(authenticator));
    let handler = Arc::new(Handler::new(db, 10_000, Limits::default().frame_len_max));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let server = rt.spawn(serve(listener, handler, auth, Limits::default(), None, stopped));

    assert_auth_fails(&addr, "the security token included in the request is expired", |n| {
        AuthRequest::sign(&old.session.id, &old.secret, Some(&old.token), n)
    });
    // Said only to a caller who holds the secret.
    assert_auth_fails(&addr, AUTH_FAILED, |n| {
        AuthRequest::sign(&old.session.id, "wrong", Some(&old.token), n)
    });
    let c = Client::connect_with(
        addr.as_str(),
        Some(&creds(&live.session.id, &live.secret, Some(&live.token))),
    )
    .unwrap();
    c.ping(b"live").unwrap();
    drop(c);
    stop.send(true).unwrap();
    rt.block_on(server).unwrap().unwrap();
}
