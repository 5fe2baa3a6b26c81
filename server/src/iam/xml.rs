//! Answers of the query-protocol services (IAM, STS) as XML:
//!
//! ```text
//! <CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
//!   <CreateUserResult><User>…</User></CreateUserResult>
//!   <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
//! </CreateUserResponse>
//! ```
//!
//! An operation without a result (DeleteUser) has no `…Result` element. Dates are ISO 8601
//! in UTC (`2026-12-06T16:20:00Z`).

use shale_aws::protocol::XML_CONTENT_TYPE;
use shale_aws::query::XmlWriter;
use shale_aws::Reply;

/// An answer being written.
pub struct Answer {
    w: XmlWriter,
    op: &'static str,
    result: bool,
}

impl Answer {
    /// The answer of `op`, with a `<opResult>` element.
    pub fn new(op: &'static str, xmlns: &str) -> Answer {
        let mut w = XmlWriter::new();
        w.open_ns(&format!("{op}Response"), xmlns);
        w.open(&format!("{op}Result"));
        Answer { w, op, result: true }
    }

    /// The answer of `op`, which has no result.
    pub fn empty(op: &'static str, xmlns: &str) -> Answer {
        let mut w = XmlWriter::new();
        w.open_ns(&format!("{op}Response"), xmlns);
        Answer { w, op, result: false }
    }

    /// The writer, inside the result element.
    pub fn w(&mut self) -> &mut XmlWriter {
        &mut self.w
    }

    /// Closes the document with the request id.
    pub fn finish(mut self, request_id: &str) -> Reply {
        if self.result {
            self.w.close(&format!("{}Result", self.op));
        }
        self.w.open("ResponseMetadata");
        self.w.leaf("RequestId", request_id);
        self.w.close("ResponseMetadata");
        self.w.close(&format!("{}Response", self.op));
        Reply::new(200, XML_CONTENT_TYPE, self.w.finish().into_bytes())
    }
}

/// ISO 8601 UTC of `secs` since the epoch: `2026-12-06T16:20:00Z`.
pub fn iso8601(secs: u64) -> String {
    // `YYYYMMDDTHHMMSSZ`, re-punctuated.
    let b = shale_aws::sigv4::time::amz_date_of_secs(secs);
    let part = |r: std::ops::Range<usize>| b.get(r).unwrap_or("00");
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        part(0..4),
        part(4..6),
        part(6..8),
        part(9..11),
        part(11..13),
        part(13..15)
    )
}
