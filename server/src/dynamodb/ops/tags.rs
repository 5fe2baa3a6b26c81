//! Tags: TagResource, UntagResource, ListTagsOfResource, and CreateTable's `Tags`.
//!
//! Only tables are tagged; the resource is named by its ARN
//! (`arn:aws:dynamodb:<region>:<account>:table/<name>`). A table's tags are kept with its
//! metadata in the catalog ([`TableMeta::tags`]), so they survive a restart, go when the table
//! goes, and are not copied by a restore (DynamoDB's restores leave tags to be set up again).
//!
//! DynamoDB's rules, with its messages: at most [`TAGS_PER_RESOURCE_MAX`] tags on a table,
//! counted after a TagResource is merged into the table's tags (a key already there takes the
//! new value); keys of 1 to [`TAG_KEY_LEN_MAX`] characters, values of 0 to
//! [`TAG_VALUE_LEN_MAX`]; letters, digits and white space of any script and `_ . : / = + - @`;
//! keys beginning `aws:` (in any case) are AWS's and refused, on UntagResource too. A refused
//! request changes nothing. UntagResource of a key the table lacks is no error.
//!
//! A change is visible when its call returns (DynamoDB applies tags asynchronously: for a few
//! seconds ListTagsOfResource shows the previous set and a second change is refused with
//! LimitExceededException; neither happens here).

use crate::dynamodb::access;
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::limits::{
    LIST_TAGS_PAGE_MAX, RESOURCE_ARN_LEN_MAX, TAGS_PER_RESOURCE_MAX, TAG_KEY_LEN_MAX,
    TAG_VALUE_LEN_MAX,
};
use crate::dynamodb::ops::{Gateway, Input};
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::shapes;
use crate::dynamodb::request::Constraints;
use crate::dynamodb::schema::table::TableMeta;
use crate::iam::caller::Caller;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

/// The IAM action CreateTable needs besides its own when it has `Tags` (as DynamoDB).
pub const TAG_RESOURCE_ACTION: &str = "dynamodb:TagResource";

/// A table's tags, key → value.
pub type Tags = BTreeMap<String, String>;

const TOO_MANY: &str = "Number of Tags exceed the current limit for the provided ResourceArn";
const NO_TAGS: &str = "Atleast one Tag needs to be provided as Input.";
const NO_TAG_KEYS: &str = "Atleast one Tag Key needs to be provided as Input.";

/// Whether `c` may be in a tag's key or value: a letter, a digit or white space (Unicode's
/// `L`, `N` and `Z` categories, as Rust's `is_alphabetic`, `is_numeric` and non-control
/// `is_whitespace` draw them), or one of `_ . : / = + - @`.
fn tag_char(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || "_.:/=+-@".contains(c)
}

/// Checks a tag key (a TagResource's or CreateTable's, or one UntagResource names).
pub(crate) fn check_key(key: Option<&str>) -> DResult<()> {
    let Some(k) = key else {
        return Err(validation("The Tag Key provided is invalid, Key: null"));
    };
    let len = k.chars().count();
    if len == 0 || len > TAG_KEY_LEN_MAX || !k.chars().all(tag_char) {
        return Err(validation(format!("The Tag Key provided is invalid, Key: {k}")));
    }
    if k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(validation(format!("Tag Key cannot be prefixed with aws:, Key: {k}")));
    }
    Ok(())
}

/// Checks a tag value.
pub(crate) fn check_value(value: Option<&str>) -> DResult<()> {
    let Some(v) = value else {
        return Err(validation("The Tag Value provided is invalid, Value: null"));
    };
    if v.chars().count() > TAG_VALUE_LEN_MAX || !v.chars().all(tag_char) {
        return Err(validation(format!("The Tag Value provided is invalid, Value: {v}")));
    }
    Ok(())
}

/// Reads a `Tags` list (TagResource's, CreateTable's): each tag checked in turn, a key given
/// twice refused, at most [`TAGS_PER_RESOURCE_MAX`].
pub(crate) fn read_tags(list: Vec<Member<shapes::Tag>>) -> DResult<Tags> {
    let mut tags = Tags::new();
    let count = list.len();
    for tag in list {
        let (key, value) = match tag.get("Tags")? {
            Some(t) => (t.key.get("Key")?, t.value.get("Value")?),
            None => (None, None),
        };
        check_key(key.as_deref())?;
        check_value(value.as_deref())?;
        let (key, value) = (key.unwrap_or_default(), value.unwrap_or_default());
        if tags.contains_key(&*key) {
            return Err(validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}"
            )));
        }
        tags.insert(key.into_owned(), value.into_owned());
    }
    if count > TAGS_PER_RESOURCE_MAX {
        return Err(validation(TOO_MANY));
    }
    Ok(tags)
}

/// A tagged resource: a table, named by its ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceArn {
    /// The ARN as given.
    arn: String,
    partition: String,
    region: String,
    account: String,
    /// The table's name.
    table: String,
}

impl ResourceArn {
    /// Reads `arn` as a table ARN, refusing what is not one with DynamoDB's messages (an index
    /// ARN with its own). A stream's ARN is refused by name: streams are not tagged here.
    pub fn parse(arn: &str) -> DResult<ResourceArn> {
        let invalid = |what: &str| {
            validation(format!("One or more parameter values were invalid: {what}{arn}"))
        };
        if !arn.starts_with("arn:") {
            return Err(invalid("ARNs must start with 'arn:': "));
        }
        let not_dynamodb = || invalid("Provided Arn is not a DynamoDB resource arn: ");
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, partition, service, region, account, resource] = parts[..] else {
            return Err(not_dynamodb());
        };
        let path = resource.strip_prefix("table/").filter(|_| service == "dynamodb");
        let Some(path) = path else { return Err(not_dynamodb()) };
        let (table, rest) = match path.split_once('/') {
            Some((t, r)) => (t, Some(r)),
            None => (path, None),
        };
        match rest {
            _ if table.is_empty() => return Err(not_dynamodb()),
            None => {}
            Some(r) if r.starts_with("index/") => {
                return Err(invalid(
                    "Invalid resource arn provided, only table or stream is accepted. Provided resource ",
                ))
            }
            Some(r) if r.starts_with("stream/") => {
                return Err(validation(format!(
                    "Tags on streams are not supported by this server: {arn}"
                )))
            }
            Some(_) => return Err(not_dynamodb()),
        }
        Ok(ResourceArn {
            arn: arn.to_string(),
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            table: table.to_string(),
        })
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Whether `caller` may run `action` on the table: an ARN of another account is refused as
    /// DynamoDB refuses it (AccessDeniedException), one of another partition or region with
    /// ValidationException; then the caller's policies decide.
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &str) -> DResult<()> {
        if self.account != g.opts.account {
            return Err(DynamoError::AccessDenied("Access is denied".into()));
        }
        if self.partition != "aws" || self.region != g.opts.region {
            return Err(validation(format!(
                "Invalid TableArn: {} is not in this server's partition and region (aws, {})",
                self.arn, g.opts.region
            )));
        }
        access::table(g, caller, action, &self.table, |_| {})
    }

    /// DynamoDB's answer for a table that is not there (or not yet: being imported into or
    /// restored, as DynamoDB's tag operations do not find a `CREATING` table).
    fn not_found(&self) -> DynamoError {
        DynamoError::ResourceNotFound(format!(
            "Requested resource not found: ResourceArn: {} not found",
            self.arn
        ))
    }

    /// Refuses a table the tag operations do not find yet.
    fn ready(&self, m: &TableMeta) -> DResult<()> {
        let restoring = m.restored.as_ref().is_some_and(|r| r.in_progress);
        if m.importing.is_some() || restoring {
            return Err(self.not_found());
        }
        Ok(())
    }

    /// Changes the table's tags with `change`, in the catalog.
    fn update(&self, g: &Gateway, change: impl FnOnce(&mut Tags) -> DResult<()>) -> DResult<()> {
        let updated = g.catalog.update(&self.table, |m| {
            self.ready(m)?;
            change(&mut m.tags)
        });
        match updated {
            Ok(_) => Ok(()),
            Err(DynamoError::ResourceNotFound(_)) => Err(self.not_found()),
            Err(e) => Err(e),
        }
    }
}

/// Reads a `ResourceArn` member (1 to [`RESOURCE_ARN_LEN_MAX`] characters) into `c`.
fn arn_member<'a>(m: Member<Str<'a>>, c: &mut Constraints) -> DResult<Option<Str<'a>>> {
    let arn = m.get("ResourceArn")?;
    c.not_null("resourceArn", arn.as_ref());
    if let Some(a) = arn.as_deref() {
        c.len("resourceArn", &format!("'{a}'"), a.chars().count(), 1, RESOURCE_ARN_LEN_MAX);
    }
    Ok(arn)
}

/// TagResource's input, checked.
pub struct TagInput {
    resource: ResourceArn,
    tags: Tags,
}

impl<'a> Input<'a> for TagInput {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        self.resource.authorize(g, caller, action)
    }

    type Shape = shapes::TagResource<'a>;

    fn decode(w: shapes::TagResource<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let arn = arn_member(w.resource_arn, &mut c)?;
        let tags = w.tags.get("Tags")?;
        c.not_null("tags", tags.as_ref());
        c.finish()?;
        let resource = ResourceArn::parse(&arn.unwrap_or_default())?;
        let tags = tags.unwrap_or_default();
        if tags.is_empty() {
            return Err(validation(NO_TAGS));
        }
        Ok(TagInput { resource, tags: read_tags(tags)? })
    }
}

pub fn tag(g: &Gateway, input: TagInput) -> DResult<Json> {
    input.resource.update(g, |tags| {
        let mut merged = tags.clone();
        merged.extend(input.tags);
        if merged.len() > TAGS_PER_RESOURCE_MAX {
            return Err(validation(TOO_MANY));
        }
        *tags = merged;
        Ok(())
    })?;
    Ok(json!({}))
}

/// UntagResource's input, checked.
pub struct UntagInput {
    resource: ResourceArn,
    keys: Vec<String>,
}

impl<'a> Input<'a> for UntagInput {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        self.resource.authorize(g, caller, action)
    }

    type Shape = shapes::UntagResource<'a>;

    fn decode(w: shapes::UntagResource<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let arn = arn_member(w.resource_arn, &mut c)?;
        let keys = w.tag_keys.get("TagKeys")?;
        c.not_null("tagKeys", keys.as_ref());
        c.finish()?;
        let resource = ResourceArn::parse(&arn.unwrap_or_default())?;
        let keys = keys.unwrap_or_default();
        if keys.is_empty() {
            return Err(validation(NO_TAG_KEYS));
        }
        let count = keys.len();
        let mut out = Vec::with_capacity(count);
        for k in keys {
            let k = k.get("TagKeys")?;
            check_key(k.as_deref())?;
            out.push(k.unwrap_or_default().into_owned());
        }
        if count > TAGS_PER_RESOURCE_MAX {
            return Err(validation(TOO_MANY));
        }
        Ok(UntagInput { resource, keys: out })
    }
}

pub fn untag(g: &Gateway, input: UntagInput) -> DResult<Json> {
    input.resource.update(g, |tags| {
        for k in &input.keys {
            tags.remove(k);
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// ListTagsOfResource's input, checked.
pub struct ListInput<'a> {
    resource: ResourceArn,
    next: Option<Str<'a>>,
}

impl<'a> Input<'a> for ListInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        self.resource.authorize(g, caller, action)
    }

    type Shape = shapes::ListTagsOfResource<'a>;

    fn decode(w: shapes::ListTagsOfResource<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let arn = arn_member(w.resource_arn, &mut c)?;
        let next = w.next_token.get("NextToken")?;
        c.finish()?;
        Ok(ListInput { resource: ResourceArn::parse(&arn.unwrap_or_default())?, next })
    }
}

/// Answers the table's tags in key order, [`LIST_TAGS_PAGE_MAX`] a page (so one page holds
/// them all, as DynamoDB answers them). A `NextToken` is the key the previous page ended at:
/// the page goes on from the first key after it.
pub fn list(g: &Gateway, input: ListInput) -> DResult<Json> {
    let r = &input.resource;
    let table = g.catalog.get(r.table()).ok_or_else(|| r.not_found())?;
    r.ready(&table.meta)?;
    let after = |k: &&String| input.next.as_deref().is_none_or(|n| k.as_str() > n);
    let mut rest = table.meta.tags.iter().filter(|(k, _)| after(k));
    let page: Vec<(&String, &String)> = rest.by_ref().take(LIST_TAGS_PAGE_MAX).collect();
    let tags: Vec<Json> = page.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect();
    let mut out = json!({ "Tags": tags });
    if let (Some(_), Some((last, _)), Json::Object(o)) = (rest.next(), page.last(), &mut out) {
        o.insert("NextToken".into(), json!(last));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::ops::GatewayOptions;
    use shale_engine::fs::MemFs;
    use shale_engine::{Db, Options};
    use std::sync::Arc;

    fn message(r: DResult<()>) -> String {
        r.err().map(|e| e.message()).unwrap_or_default()
    }

    #[test]
    fn keys_and_values_are_checked_as_dynamodb_checks_them() {
        // Letters and digits of any script, white space, and _ . : / = + - @.
        for ok in ["a", "sp ace", "ключ", "café", "表", "a\u{a0}b", "a+b-c=d.e_f:g/h@i", "٣"]
        {
            assert!(check_key(Some(ok)).is_ok(), "{ok}");
            assert!(check_value(Some(ok)).is_ok(), "{ok}");
        }
        for bad in ["bad#char", "100%", "a,b", "\"q\"", "a*b", "🔑", "a\tb", "a\nb", "<a>"] {
            assert_eq!(
                message(check_key(Some(bad))),
                format!("The Tag Key provided is invalid, Key: {bad}")
            );
            assert_eq!(
                message(check_value(Some(bad))),
                format!("The Tag Value provided is invalid, Value: {bad}")
            );
        }
        // Lengths are in characters.
        let k128 = "é".repeat(TAG_KEY_LEN_MAX);
        assert!(check_key(Some(&k128)).is_ok());
        assert!(check_key(Some(&format!("{k128}x"))).is_err());
        assert!(check_key(Some("")).is_err());
        assert!(check_value(Some("")).is_ok());
        assert!(check_value(Some(&"v".repeat(TAG_VALUE_LEN_MAX))).is_ok());
        assert!(check_value(Some(&"v".repeat(TAG_VALUE_LEN_MAX + 1))).is_err());
        assert_eq!(message(check_key(None)), "The Tag Key provided is invalid, Key: null");
        assert_eq!(message(check_value(None)), "The Tag Value provided is invalid, Value: null");
        // aws: in any case is AWS's; a key merely containing it is not.
        for k in ["aws:foo", "AWS:foo", "Aws:"] {
            assert_eq!(
                message(check_key(Some(k))),
                format!("Tag Key cannot be prefixed with aws:, Key: {k}")
            );
        }
        assert!(check_key(Some("myaws:foo")).is_ok());
        assert!(check_key(Some("awsfoo")).is_ok());
        assert!(check_key(Some("éé")).is_ok());
    }

    #[test]
    fn resource_arns_are_table_arns() {
        let t = ResourceArn::parse("arn:aws:dynamodb:us-east-1:000000000000:table/music").unwrap();
        assert_eq!(t.table(), "music");
        let msg = |a: &str| ResourceArn::parse(a).unwrap_err().message();
        assert_eq!(
            msg("music"),
            "One or more parameter values were invalid: ARNs must start with 'arn:': music"
        );
        for a in [
            "arn:aws:dynamodb:us-east-1:000000000000:table/",
            "arn:aws:dynamodb:us-east-1:000000000000:table/t/backup/01",
            "arn:aws:s3:::bucket",
            "arn:aws:dynamodb:us-east-1",
            "arn:aws:iam:us-east-1:000000000000:table/t",
        ] {
            assert_eq!(
                msg(a),
                format!(
                    "One or more parameter values were invalid: Provided Arn is not a DynamoDB resource arn: {a}"
                )
            );
        }
        let index = "arn:aws:dynamodb:us-east-1:000000000000:table/t/index/i";
        assert!(msg(index).contains("only table or stream is accepted. Provided resource arn:"));
        let stream = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024";
        assert!(msg(stream).contains("streams are not supported"));
    }

    fn open(fs: &Arc<MemFs>) -> Gateway {
        let opts = Options { fs: fs.clone(), ..Options::default() };
        let db = Db::open("/t", opts).unwrap();
        Gateway::open(db, GatewayOptions { sync: false, ..GatewayOptions::default() }).unwrap()
    }

    fn tags(g: &Gateway, arn: &str) -> Json {
        g.handle("ListTagsOfResource", &json!({"ResourceArn": arn})).unwrap()["Tags"].clone()
    }

    #[test]
    fn tags_are_kept_with_the_table_across_a_restart_and_go_with_it() {
        let fs = Arc::new(MemFs::new());
        let g = open(&fs);
        let arn = g.table_arn("tagged");
        let create = json!({"TableName": "tagged", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "Tags": [{"Key": "team", "Value": "storage"}]});
        g.handle("CreateTable", &create).unwrap();
        g.handle(
            "TagResource",
            &json!({"ResourceArn": arn, "Tags": [{"Key": "env", "Value": ""}]}),
        )
        .unwrap();
        let want = json!([{"Key": "env", "Value": ""}, {"Key": "team", "Value": "storage"}]);
        assert_eq!(tags(&g, &arn), want);
        let db = g.db().clone();
        drop(g);
        db.close().unwrap();
        let g = open(&fs);
        assert_eq!(tags(&g, &arn), want);
        g.handle("UntagResource", &json!({"ResourceArn": arn, "TagKeys": ["env", "none"]}))
            .unwrap();
        assert_eq!(tags(&g, &arn), json!([{"Key": "team", "Value": "storage"}]));
        g.handle("DeleteTable", &json!({"TableName": "tagged"})).unwrap();
        let gone = g.handle("ListTagsOfResource", &json!({"ResourceArn": arn})).unwrap_err();
        assert_eq!(
            gone.message(),
            format!("Requested resource not found: ResourceArn: {arn} not found")
        );
        let mut again = create.clone();
        again.as_object_mut().unwrap().remove("Tags");
        g.handle("CreateTable", &again).unwrap();
        assert_eq!(tags(&g, &arn), json!([]));
    }
}
