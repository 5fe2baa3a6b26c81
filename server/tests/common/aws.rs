//! Signed requests to the AWS query-protocol services (IAM, STS) of a test server, over one
//! short HTTP/1.1 connection each.

use shale_server::dynamo_client::Credentials;
use std::io::{Read, Write};
use std::net::TcpStream;

/// An answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    /// The text of the first `<name>` element, if any.
    pub fn field(&self, name: &str) -> Option<String> {
        let open = format!("<{name}>");
        let start = self.body.find(&open)? + open.len();
        let end = start + self.body[start..].find(&format!("</{name}>"))?;
        Some(self.body[start..end].to_string())
    }
}

/// POSTs the form `params` to `service` (`iam`, `sts`), signed with `creds`.
pub fn query(addr: &str, service: &str, params: &[(&str, &str)], creds: &Credentials) -> Answer {
    let version = if service == "sts" { "2011-06-15" } else { "2010-05-08" };
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        form.append_pair(k, v);
    }
    form.append_pair("Version", version);
    let body = form.finish();
    let ct = "application/x-www-form-urlencoded; charset=utf-8";
    let signed = creds.sign(service, addr, &[("content-type", ct)], body.as_bytes());
    let mut req = format!("POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ct}\r\n");
    for (k, v) in signed {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()));
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_string());
    Answer { status, body }
}

/// Credentials from an answer's `<AccessKeyId>`, `<SecretAccessKey>` and `<SessionToken>`.
pub fn credentials_of(a: &Answer) -> Credentials {
    let mut c = Credentials::new(
        &a.field("AccessKeyId").expect("AccessKeyId"),
        &a.field("SecretAccessKey").expect("SecretAccessKey"),
    );
    c.session_token = a.field("SessionToken");
    c
}
