//! The query protocol's codecs: the request is a form (`Action=ListUsers&Version=2010-05-08&…`,
//! percent-encoded, `+` for space), the answer XML:
//!
//! ```text
//! <ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
//!   <ListUsersResult>…</ListUsersResult>
//!   <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
//! </ListUsersResponse>
//! ```
//!
//! Lists and maps in a form are flattened with numbered members (`Tags.member.1.Key=…`); the
//! services read them with [`Form::list`].

use crate::AwsError;
use std::collections::BTreeMap;

/// Most fields one form may have.
pub const FORM_FIELDS_MAX: usize = 10_000;

/// A decoded form: its fields by name (a repeated name keeps its last value, as AWS does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    fields: BTreeMap<String, String>,
}

impl Form {
    /// Decodes a form body.
    pub fn parse(body: &[u8]) -> Result<Form, AwsError> {
        let mut fields = BTreeMap::new();
        for (i, (k, v)) in form_urlencoded::parse(body).enumerate() {
            if i >= FORM_FIELDS_MAX {
                return Err(AwsError::sender(
                    "MalformedQueryString",
                    format!("the form has more than {FORM_FIELDS_MAX} fields"),
                ));
            }
            fields.insert(k.into_owned(), v.into_owned());
        }
        Ok(Form { fields })
    }

    /// A field's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// `Action`: the operation.
    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// The numbered members of a list: `<prefix>.member.1`, `.2`, … up to the first gap,
    /// as the sub-field prefixes (`Tags.member.1`) in order.
    pub fn list(&self, prefix: &str) -> Vec<String> {
        let mut out = Vec::new();
        for n in 1.. {
            let member = format!("{prefix}.member.{n}");
            if !self.fields.contains_key(&member) && !self.has_under(&member) {
                break;
            }
            out.push(member);
        }
        out
    }

    /// Whether some field is under `prefix`: its name starts with `<prefix>.`.
    pub fn has_under(&self, prefix: &str) -> bool {
        let dotted = format!("{prefix}.");
        self.fields.range(dotted.clone()..).next().is_some_and(|(k, _)| k.starts_with(&dotted))
    }

    /// Every field, in name order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Writes an XML document element by element, escaping text.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// An empty document.
    pub fn new() -> XmlWriter {
        XmlWriter::default()
    }

    /// `<name xmlns="xmlns">`.
    pub fn open_ns(&mut self, name: &str, xmlns: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(" xmlns=\"");
        self.out.push_str(&quick_xml::escape::escape(xmlns));
        self.out.push_str("\">");
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Text, escaped.
    pub fn text(&mut self, text: &str) {
        self.out.push_str(&quick_xml::escape::escape(text));
    }

    /// `<name>text</name>`, the text escaped.
    pub fn leaf(&mut self, name: &str, text: &str) {
        self.open(name);
        self.text(text);
        self.close(name);
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_and_lists() {
        let f = Form::parse(
            b"Action=TagUser&UserName=bob%20smith&Tags.member.1.Key=team&Tags.member.1.Value=a+b\
              &Tags.member.2.Key=env&Tags.member.2.Value=prod&Tags.member.4.Key=gap&Version=2010-05-08",
        )
        .unwrap();
        assert_eq!(f.action(), Some("TagUser"));
        assert_eq!(f.get("UserName"), Some("bob smith"));
        assert_eq!(f.get("Tags.member.1.Value"), Some("a b"));
        assert_eq!(f.list("Tags"), vec!["Tags.member.1", "Tags.member.2"]);
        assert!(f.list("Nothing").is_empty());
        assert!(f.has_under("Tags.member.1") && f.has_under("Tags"));
        assert!(!f.has_under("Tags.member.3") && !f.has_under("Tag") && !f.has_under("UserName"));
        let f = Form::parse(b"Names.member.1=a&Names.member.2=b").unwrap();
        assert_eq!(f.list("Names"), vec!["Names.member.1", "Names.member.2"]);
        assert_eq!(Form::parse(b"").unwrap(), Form::default());
    }

    #[test]
    fn too_many_fields_are_refused() {
        let body = "a=1&".repeat(FORM_FIELDS_MAX + 1);
        let e = Form::parse(body.as_bytes()).unwrap_err();
        assert_eq!(e.code, "MalformedQueryString");
    }

    #[test]
    fn xml_is_escaped() {
        let mut w = XmlWriter::new();
        w.open_ns("R", "urn:x");
        w.leaf("Name", "a<b>&\"c\"");
        w.close("R");
        assert_eq!(w.finish(), "<R xmlns=\"urn:x\"><Name>a&lt;b&gt;&amp;&quot;c&quot;</Name></R>");
    }
}
