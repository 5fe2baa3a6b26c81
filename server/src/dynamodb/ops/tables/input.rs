//! Reading CreateTable's and UpdateTable's inputs: the members they share (table name, billing
//! mode, provisioned throughput), the key schema and attribute definitions, with DynamoDB's
//! constraint messages gathered in its order.

use super::indexes::{self, IndexDef};
use crate::dynamodb::access;
use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::limits::{CAPACITY_MAX, KEY_ATTRIBUTE_NAME_LEN_MAX};
use crate::dynamodb::ops::tags::{read_tags, Tags, TAG_RESOURCE_ACTION};
use crate::dynamodb::ops::{Gateway, Input};
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::shapes::{self, TableDefinition};
use crate::dynamodb::request::Constraints;
use crate::dynamodb::schema::index::IndexKind;
use crate::dynamodb::schema::table::{BillingMode, KeyAttr, OnDemand, ScalarType};
use crate::dynamodb::stream::ViewType;
use crate::iam::caller::Caller;
use serde_json::Value as Json;

pub(super) fn key_schema(
    ks: Member<Vec<Member<shapes::KeySchemaElement>>>,
    c: &mut Constraints,
) -> DResult<Vec<(String, String)>> {
    let Some(ks) = ks.get("KeySchema")? else {
        c.not_null::<()>("keySchema", None);
        return Ok(vec![]);
    };
    if ks.is_empty() || ks.len() > 2 {
        c.add(
            "'[]'",
            "keySchema",
            if ks.is_empty() {
                "Member must have length greater than or equal to 1"
            } else {
                "Member must have length less than or equal to 2"
            },
        );
    }
    let pairs = ks.into_iter().map(|e| e.present().map(|e| (e.attribute_name, e.key_type)));
    name_type_pairs(pairs, ("keySchema", "KeyType", "keyType"), &["HASH", "RANGE"], c)
}

/// The `(AttributeName, <type member>)` pairs of a list (`KeySchema`, `AttributeDefinitions`;
/// `None` for an element that is not a structure, which is skipped), each member's
/// constraints added to `c`; `(at, member, member_at)` name the list and the type member as
/// DynamoDB's messages do.
pub(super) fn name_type_pairs<'a>(
    list: impl Iterator<Item = Option<(Member<Str<'a>>, Member<Str<'a>>)>>,
    (at, member, member_at): (&str, &str, &str),
    allowed: &[&str],
    c: &mut Constraints,
) -> DResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (i, e) in list.enumerate() {
        let Some((name, ty)) = e else { continue };
        let name = name.get("AttributeName")?;
        let ty = ty.get(member)?;
        c.not_null(&format!("{at}.{}.member.attributeName", i + 1), name.as_ref());
        if let Some(n) = name.as_deref() {
            let name_at = format!("{at}.{}.member.attributeName", i + 1);
            c.len(&name_at, &format!("'{n}'"), n.len(), 1, KEY_ATTRIBUTE_NAME_LEN_MAX);
        }
        c.not_null(&format!("{at}.{}.member.{member_at}", i + 1), ty.as_ref());
        c.one_of(&format!("{at}.{}.member.{member_at}", i + 1), ty.as_deref(), allowed);
        if let (Some(n), Some(t)) = (name, ty) {
            out.push((n.into_owned(), t.into_owned()));
        }
    }
    Ok(out)
}

pub(super) fn attribute_definitions(
    defs: Member<Vec<Member<shapes::AttributeDefinition>>>,
    c: &mut Constraints,
) -> DResult<Vec<(String, String)>> {
    let Some(defs) = defs.get("AttributeDefinitions")? else {
        c.not_null::<()>("attributeDefinitions", None);
        return Ok(vec![]);
    };
    let pairs = defs.into_iter().map(|e| e.present().map(|e| (e.attribute_name, e.attribute_type)));
    let at = ("attributeDefinitions", "AttributeType", "attributeType");
    name_type_pairs(pairs, at, &["B", "N", "S"], c)
}

/// Reads `ProvisionedThroughput` (read, write), with DynamoDB's range checks.
/// `at` prefixes the members' names in constraint messages (`""` for the table's,
/// `"globalSecondaryIndexes.1.member."` for an index's).
pub(super) fn throughput(
    pt: Member<shapes::ProvisionedThroughput>,
    c: &mut Constraints,
    at: &str,
) -> DResult<Option<(i64, i64)>> {
    let Some(pt) = pt.get("ProvisionedThroughput")? else { return Ok(None) };
    let r = pt.read_capacity_units.get("ReadCapacityUnits")?;
    let w = pt.write_capacity_units.get("WriteCapacityUnits")?;
    let (r_at, w_at) = (
        format!("{at}provisionedThroughput.readCapacityUnits"),
        format!("{at}provisionedThroughput.writeCapacityUnits"),
    );
    c.not_null(&r_at, r);
    c.not_null(&w_at, w);
    c.range(&r_at, r, 1, i64::MAX);
    c.range(&w_at, w, 1, i64::MAX);
    Ok(r.zip(w))
}

pub(super) fn billing_mode(v: Member<Str>, c: &mut Constraints) -> DResult<Option<BillingMode>> {
    let v = v.get("BillingMode")?;
    let v = v.as_deref();
    c.one_of("billingMode", v, &["PROVISIONED", "PAY_PER_REQUEST"]);
    Ok(match v {
        Some("PROVISIONED") => Some(BillingMode::Provisioned),
        Some("PAY_PER_REQUEST") => Some(BillingMode::PayPerRequest),
        _ => None,
    })
}

pub(super) fn check_capacity(r: i64, w: i64) -> DResult<()> {
    if r > CAPACITY_MAX || w > CAPACITY_MAX {
        return Err(crate::dynamodb::error::DynamoError::LimitExceeded(format!(
            "Subscriber limit exceeded: Provisioned throughput for the table exceeds the account limit of {CAPACITY_MAX}"
        )));
    }
    Ok(())
}

/// Reads `OnDemandThroughput`: each maximum given must be -1 (none) or at least 1.
fn on_demand(
    v: Member<shapes::OnDemandThroughput>,
    c: &mut Constraints,
) -> DResult<Option<(Option<i64>, Option<i64>)>> {
    let Some(v) = v.get("OnDemandThroughput")? else { return Ok(None) };
    let r = v.max_read_request_units.get("MaxReadRequestUnits")?;
    let w = v.max_write_request_units.get("MaxWriteRequestUnits")?;
    for (at, v) in [
        ("onDemandThroughput.maxReadRequestUnits", r),
        ("onDemandThroughput.maxWriteRequestUnits", w),
    ] {
        c.range(at, v, -1, i64::MAX);
    }
    if r == Some(0) || w == Some(0) {
        return Err(validation(
            "One or more parameter values were invalid: MaxReadRequestUnits and MaxWriteRequestUnits must be -1 (no maximum) or at least 1",
        ));
    }
    Ok(Some((r, w)))
}

/// The members CreateTable and UpdateTable share, and what `between` read.
pub(super) struct TableMembers<'a, T> {
    pub name: Str<'a>,
    pub between: T,
    pub billing: Option<BillingMode>,
    /// Provisioned (read, write) capacity.
    pub throughput: Option<(i64, i64)>,
    /// `StreamSpecification`: enabled, and the view type given.
    pub stream: Option<(bool, Option<ViewType>)>,
    /// `OnDemandThroughput`: the read and write maximums given.
    pub on_demand: Option<(Option<i64>, Option<i64>)>,
    /// `DeletionProtectionEnabled`.
    pub deletion_protection: Option<bool>,
    /// `TableClass`.
    pub table_class: Option<String>,
}

/// The table classes.
pub const TABLE_CLASSES: &[&str] = &["STANDARD", "STANDARD_INFREQUENT_ACCESS"];

/// Refuses, by name, the members of CreateTable and UpdateTable this server does not serve
/// (never dropped silently): encryption at rest with a key of one's own (tables are not
/// encrypted; `SSESpecification` with `Enabled` false, the default, is accepted), warm
/// throughput, resource policies, global tables; and UpdateTable's `Tags` (not one of its
/// members; CreateTable takes them out of the shape before).
fn refuse_unserved(w: &TableDefinition) -> DResult<()> {
    if w.tags.is_given() {
        return Err(validation(
            "Tags is not a member of UpdateTable: tag a table with TagResource",
        ));
    }
    let given = [
        (w.warm_throughput.is_given(), "WarmThroughput"),
        (w.resource_policy.is_given(), "ResourcePolicy"),
        (w.replica_updates.is_given(), "ReplicaUpdates"),
        (w.multi_region_consistency.is_given(), "MultiRegionConsistency"),
        (w.global_table_witness_updates.is_given(), "GlobalTableWitnessUpdates"),
    ];
    if let Some((_, what)) = given.iter().find(|(g, _)| *g) {
        return Err(validation(format!("{what} is not supported by this server")));
    }
    if let Member::Present(sse) = &w.sse_specification {
        if sse.get("Enabled").and_then(Json::as_bool) == Some(true) || sse.get("SSEType").is_some()
        {
            return Err(validation(
                "SSESpecification is not supported by this server: tables are not encrypted at \
                 rest (only Enabled false, the default, is accepted)",
            ));
        }
    }
    Ok(())
}

/// Reads `StreamSpecification` (its members' constraints into `c`).
fn stream_specification(
    spec: Member<shapes::StreamSpecification>,
    c: &mut Constraints,
) -> DResult<Option<(bool, Option<ViewType>)>> {
    let Some(spec) = spec.get("StreamSpecification")? else { return Ok(None) };
    let enabled = spec.stream_enabled.get("StreamEnabled")?;
    let view = spec.stream_view_type.get("StreamViewType")?;
    c.not_null("streamSpecification.streamEnabled", enabled);
    let allowed = ["OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"];
    c.one_of("streamSpecification.streamViewType", view.as_deref(), &allowed);
    Ok(enabled.map(|e| (e, view.as_deref().and_then(ViewType::parse))))
}

/// Reads [`TableMembers`] with their constraints gathered into one message in DynamoDB's
/// order: `TableName`, then what `between` reads (taking it out of the shape: CreateTable's key
/// schema, attribute definitions and indexes), then `BillingMode` and `ProvisionedThroughput`.
pub(super) fn table_members<'a, T>(
    mut w: TableDefinition<'a>,
    between: impl FnOnce(&mut Constraints, &mut TableDefinition<'a>) -> DResult<T>,
) -> DResult<TableMembers<'a, T>> {
    use std::mem::take;
    let mut c = Constraints::default();
    let name = take(&mut w.table_name).get("TableName")?;
    c.table_name("tableName", name.as_deref());
    let between = between(&mut c, &mut w)?;
    let billing = billing_mode(take(&mut w.billing_mode), &mut c)?;
    let throughput = throughput(take(&mut w.provisioned_throughput), &mut c, "")?;
    let stream = stream_specification(take(&mut w.stream_specification), &mut c)?;
    let on_demand = on_demand(take(&mut w.on_demand_throughput), &mut c)?;
    let deletion_protection =
        take(&mut w.deletion_protection_enabled).get("DeletionProtectionEnabled")?;
    let table_class = take(&mut w.table_class).get("TableClass")?;
    c.one_of("tableClass", table_class.as_deref(), TABLE_CLASSES);
    c.finish()?;
    refuse_unserved(&w)?;
    let name = name.unwrap_or_default();
    let table_class = table_class.map(|t| t.to_string());
    Ok(TableMembers {
        name,
        between,
        billing,
        throughput,
        stream,
        on_demand,
        deletion_protection,
        table_class,
    })
}

/// CreateTable's input, decoded and checked before the handler runs.
pub struct CreateTableInput<'a> {
    pub table_name: Str<'a>,
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
    pub attribute_definitions: Vec<KeyAttr>,
    pub billing: BillingMode,
    /// Provisioned (read, write) capacity.
    pub throughput: Option<(i64, i64)>,
    /// The secondary indexes, global ones first (each kind in request order), with their key
    /// attributes; their keyspaces are named when the table is created.
    pub indexes: Vec<NewIndex>,
    /// The view type of its stream, when it is made with one.
    pub stream: Option<ViewType>,
    /// Its `OnDemandThroughput` maximums.
    pub on_demand: Option<OnDemand>,
    /// `DeletionProtectionEnabled`.
    pub deletion_protection: bool,
    /// `TableClass`, when given.
    pub table_class: Option<String>,
    /// `Tags` (none when not given).
    pub tags: Tags,
}

/// The refusal of `OnDemandThroughput` for a provisioned table.
pub(super) const ON_DEMAND_WITH_PROVISIONED: &str = "One or more parameter values were invalid: OnDemandThroughput can only be specified when BillingMode is PAY_PER_REQUEST";

/// A secondary index of a new table.
pub struct NewIndex {
    pub def: IndexDef,
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
}

/// What CreateTable's `between` reads.
struct Definitions<'a> {
    keys: Vec<(String, String)>,
    defs: Vec<(String, String)>,
    global: Option<Vec<IndexDef>>,
    local: Option<Vec<IndexDef>>,
    /// `Tags`, checked once the rest is.
    tags: Option<Vec<Member<shapes::Tag<'a>>>>,
}

impl<'a> Input<'a> for CreateTableInput<'a> {
    /// CreateTable, and with `Tags` TagResource too (as DynamoDB asks for both).
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        access::table(g, caller, action, &self.table_name, |_| {})?;
        if !self.tags.is_empty() {
            access::table(g, caller, TAG_RESOURCE_ACTION, &self.table_name, |_| {})?;
        }
        Ok(())
    }

    type Shape = TableDefinition<'a>;

    fn decode(w: TableDefinition<'a>) -> DResult<Self> {
        use std::mem::take;
        let m = table_members(w, |c, w| {
            let keys = key_schema(take(&mut w.key_schema), c)?;
            let defs = attribute_definitions(take(&mut w.attribute_definitions), c)?;
            // DynamoDB lists the global indexes' violations before the local ones'.
            let global =
                indexes::read(take(&mut w.global_secondary_indexes), IndexKind::Global, c)?;
            let local = indexes::read(take(&mut w.local_secondary_indexes), IndexKind::Local, c)?;
            let tags = take(&mut w.tags).get("Tags")?;
            Ok(Definitions { keys, defs, global, local, tags })
        })?;
        let TableMembers {
            name,
            between,
            billing,
            throughput: pt,
            stream,
            on_demand,
            deletion_protection,
            table_class,
        } = m;
        let Definitions { keys, defs, global, local, tags } = between;

        let billing = billing.unwrap_or(BillingMode::Provisioned);
        match billing {
            BillingMode::Provisioned if pt.is_none() => {
                return Err(validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"));
            }
            BillingMode::PayPerRequest if pt.is_some() => {
                return Err(validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
            }
            BillingMode::Provisioned if on_demand.is_some() => {
                return Err(validation(ON_DEMAND_WITH_PROVISIONED));
            }
            _ => {}
        }
        if let Some((r, w)) = pt {
            check_capacity(r, w)?;
        }
        let mut seen = std::collections::BTreeSet::new();
        for (n, _) in &defs {
            if !seen.insert(n.as_str()) {
                return Err(validation(format!("Attribute Name is duplicated: {n}")));
            }
        }
        let Some((hash_name, hash_type)) = keys.first() else {
            return Err(validation(
                "Invalid KeySchema: Some index key attribute have no definition",
            ));
        };
        if hash_type != "HASH" {
            return Err(validation(
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            ));
        }
        let range = match keys.get(1) {
            Some((n, t)) => {
                if t != "RANGE" {
                    return Err(validation(
                        "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
                    ));
                }
                if n == hash_name {
                    return Err(validation("Invalid KeySchema: Both the Hash Key and the Range Key element in the KeySchema have the same name"));
                }
                Some(n)
            }
            None => None,
        };
        let key_names: Vec<&str> = keys.iter().map(|(n, _)| n.as_str()).collect();
        let def_names: Vec<&str> = defs.iter().map(|(n, _)| n.as_str()).collect();
        let undefined = |keys: &[(String, String)]| {
            let names: Vec<&str> = keys.iter().map(|(n, _)| n.as_str()).collect();
            if names.iter().any(|k| !def_names.contains(k)) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                    names.join(", "),
                    def_names.join(", ")
                )));
            }
            Ok(())
        };
        undefined(&keys)?;
        let all_indexes: Vec<&IndexDef> = global.iter().chain(&local).flatten().collect();
        if global.is_none() && local.is_none() {
            if defs.len() != keys.len() {
                return Err(validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"));
            }
        } else {
            let mut used: Vec<&str> = key_names.clone();
            for k in all_indexes.iter().flat_map(|d| &d.keys) {
                if !used.contains(&k.0.as_str()) {
                    used.push(&k.0);
                }
            }
            if def_names.iter().any(|d| !used.contains(d)) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
                    def_names.join(", "),
                    used.join(", ")
                )));
            }
        }
        drop(all_indexes);
        let (mut global, mut local) = (global, local);
        let mut names = Vec::new();
        let pay_per_request = billing == BillingMode::PayPerRequest;
        for (list, kind) in [(&mut local, IndexKind::Local), (&mut global, IndexKind::Global)] {
            if let Some(list) = list {
                indexes::check(list, kind, &keys, Some(pay_per_request), &undefined, &mut names)?;
            }
        }
        let all_indexes: Vec<&IndexDef> = global.iter().chain(&local).flatten().collect();
        indexes::check_projected(&all_indexes)?;
        let attr = |n: &str| -> KeyAttr {
            let ty = defs
                .iter()
                .find(|(d, _)| d == n)
                .and_then(|(_, t)| ScalarType::parse(t))
                .unwrap_or(ScalarType::S);
            KeyAttr { name: n.to_string(), ty }
        };
        let hash = attr(hash_name);
        let range = range.map(|r| attr(r));
        let definitions: Vec<KeyAttr> = defs.iter().map(|(n, _)| attr(n)).collect();
        let indexes = global
            .into_iter()
            .chain(local)
            .flatten()
            .map(|def| {
                let hash = def.keys.first().map(|(n, _)| attr(n));
                let range = def.keys.get(1).map(|(n, _)| attr(n));
                let hash = hash.ok_or_else(|| {
                    validation(
                        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
                    )
                })?;
                Ok(NewIndex { def, hash, range })
            })
            .collect::<DResult<Vec<_>>>()?;
        let stream = match stream {
            None | Some((false, None)) => None,
            Some((true, Some(view))) => Some(view),
            Some((true, None)) => return Err(validation("One or more parameter values were invalid: Table is being created with a stream enabled, UpdateViewType is required")),
            Some((false, Some(_))) => return Err(validation("One or more parameter values were invalid: Table is being created with a stream disabled, UpdateViewType should not be specified")),
        };
        // An empty list is no tags (TagResource refuses one; CreateTable takes it).
        let tags = tags.map(read_tags).transpose()?.unwrap_or_default();
        Ok(CreateTableInput {
            table_name: name,
            hash,
            range,
            attribute_definitions: definitions,
            billing,
            throughput: pt,
            indexes,
            stream,
            on_demand: on_demand
                .map(|(r, w)| OnDemand { read: r.unwrap_or(-1), write: w.unwrap_or(-1) }),
            deletion_protection: deletion_protection.unwrap_or(false),
            table_class,
            tags,
        })
    }
}
