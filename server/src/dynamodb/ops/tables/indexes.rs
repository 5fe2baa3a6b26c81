//! Secondary index definitions as CreateTable takes them (`LocalSecondaryIndexes`,
//! `GlobalSecondaryIndexes`): their members' constraints, then DynamoDB's checks of each index
//! against the table, in DynamoDB's words.

use super::input::{name_type_pairs, throughput};
use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::limits::{
    GLOBAL_INDEXES_MAX, INDEX_NAME_LEN_MAX, INDEX_NAME_LEN_MIN, KEY_ATTRIBUTE_NAME_LEN_MAX,
    LOCAL_INDEXES_MAX, NON_KEY_ATTRIBUTES_MAX, PROJECTED_ATTRIBUTES_MAX,
};
use crate::dynamodb::request::member::Member;
use crate::dynamodb::request::shapes::SecondaryIndex;
use crate::dynamodb::request::Constraints;
use crate::dynamodb::schema::index::{IndexKind, Projection};

/// One index as defined, its members read.
#[derive(Clone)]
pub struct IndexDef {
    pub name: String,
    pub kind: IndexKind,
    /// `(AttributeName, KeyType)` pairs.
    pub keys: Vec<(String, String)>,
    /// `ProjectionType` (missing or unknown ones are refused by [`check`]).
    pub projection_type: Option<String>,
    pub non_key_attributes: Option<Vec<String>>,
    /// The projection, once [`check`]ed.
    pub projection: Projection,
    /// Provisioned (read, write) capacity of a global index.
    pub throughput: Option<(i64, i64)>,
}

impl IndexKind {
    /// The member's name in requests, and in constraint messages.
    fn member(self) -> (&'static str, &'static str) {
        match self {
            IndexKind::Local => ("LocalSecondaryIndexes", "localSecondaryIndexes"),
            IndexKind::Global => ("GlobalSecondaryIndexes", "globalSecondaryIndexes"),
        }
    }
}

/// Reads an index list, adding its members' constraints to `c` (`None`: not given).
pub fn read(
    list: Member<Vec<Member<SecondaryIndex>>>,
    kind: IndexKind,
    c: &mut Constraints,
) -> DResult<Option<Vec<IndexDef>>> {
    let (name, at) = kind.member();
    let Some(list) = list.get(name)? else { return Ok(None) };
    let mut out = Vec::with_capacity(list.len());
    for (i, ix) in list.into_iter().enumerate() {
        let Member::Present(ix) = ix else { continue };
        out.push(read_one(ix, kind, &format!("{at}.{}.member", i + 1), c)?);
    }
    Ok(Some(out))
}

/// Reads one index definition (`at`: its path in constraint messages).
pub fn read_one(
    ix: SecondaryIndex,
    kind: IndexKind,
    at: &str,
    c: &mut Constraints,
) -> DResult<IndexDef> {
    {
        let name = ix.index_name.get("IndexName")?;
        let name_at = format!("{at}.indexName");
        match &name {
            None => c.not_null::<()>(&name_at, None),
            Some(n) => {
                c.len(&name_at, &format!("'{n}'"), n.len(), INDEX_NAME_LEN_MIN, INDEX_NAME_LEN_MAX)
            }
        }
        if let Some(n) = &name {
            if !n.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
                c.add(
                    &format!("'{n}'"),
                    &name_at,
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                );
            }
        }
        let keys_at = format!("{at}.keySchema");
        let keys = match ix.key_schema.get("KeySchema")? {
            None => {
                c.not_null::<()>(&keys_at, None);
                vec![]
            }
            Some(ks) => {
                if ks.is_empty() {
                    c.add("'[]'", &keys_at, "Member must have length greater than or equal to 1");
                } else if ks.len() > 2 {
                    c.add("'[...]'", &keys_at, "Member must have length less than or equal to 2");
                }
                let pairs =
                    ks.into_iter().map(|e| e.present().map(|e| (e.attribute_name, e.key_type)));
                name_type_pairs(pairs, (&keys_at, "KeyType", "keyType"), &["HASH", "RANGE"], c)?
            }
        };
        let projection_at = format!("{at}.projection");
        let (projection_type, non_key_attributes) = match ix.projection.get("Projection")? {
            None => {
                c.not_null::<()>(&projection_at, None);
                (None, None)
            }
            Some(p) => {
                let ty = p.projection_type.get("ProjectionType")?;
                let ty_at = format!("{projection_at}.projectionType");
                c.one_of(&ty_at, ty.as_deref(), &["ALL", "INCLUDE", "KEYS_ONLY"]);
                let attrs: Option<Vec<String>> =
                    p.non_key_attributes.get("NonKeyAttributes")?.map(|a| {
                        a.into_iter().filter_map(|a| a.present().map(|a| a.into_owned())).collect()
                    });
                if let Some(a) = &attrs {
                    // Each name is a key-sized name (the model's NonKeyAttributeName).
                    if a.iter().any(|n| n.is_empty() || n.len() > KEY_ATTRIBUTE_NAME_LEN_MAX) {
                        c.add(
                            &format!("'[{}]'", a.join(", ")),
                            &format!("{projection_at}.nonKeyAttributes"),
                            &format!("Member must satisfy constraint: [Member must have length less than or equal to {KEY_ATTRIBUTE_NAME_LEN_MAX}, Member must have length greater than or equal to 1]"),
                        );
                    }
                    c.len(
                        &format!("{projection_at}.nonKeyAttributes"),
                        &format!("'[{}]'", a.join(", ")),
                        a.len(),
                        1,
                        NON_KEY_ATTRIBUTES_MAX,
                    );
                }
                (ty.map(|t| t.into_owned()), attrs)
            }
        };
        let throughput = match kind {
            IndexKind::Global => throughput(ix.provisioned_throughput, c, &format!("{at}."))?,
            IndexKind::Local => None,
        };
        Ok(IndexDef {
            name: name.map(|n| n.into_owned()).unwrap_or_default(),
            kind,
            keys,
            projection_type,
            non_key_attributes,
            projection: Projection::KeysOnly,
            throughput,
        })
    }
}

fn invalid(msg: String) -> crate::dynamodb::error::DynamoError {
    validation(format!("One or more parameter values were invalid: {msg}"))
}

/// Refuses key attributes (`(AttributeName, KeyType)` pairs) that have no definition.
pub type KeysDefined<'a> = dyn Fn(&[(String, String)]) -> DResult<()> + 'a;

/// Checks the indexes of one kind against the table's key schema (`table_keys`: hash, then
/// range) and (with CreateTable's words, when `pay_per_request` is given) its billing mode, in
/// DynamoDB's order, and settles their projections; `defined` refuses key attributes without a
/// definition, `names` gathers index names across kinds (for duplicates).
pub fn check(
    defs: &mut [IndexDef],
    kind: IndexKind,
    table_keys: &[(String, String)],
    pay_per_request: Option<bool>,
    defined: &KeysDefined,
    names: &mut Vec<String>,
) -> DResult<()> {
    let (member, _) = kind.member();
    if defs.is_empty() {
        return Err(invalid(format!("List of {member} is empty")));
    }
    if kind == IndexKind::Local && table_keys.len() < 2 {
        return Err(invalid("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex".into()));
    }
    for d in defs.iter_mut() {
        defined(&d.keys)?;
        let name = &d.name;
        match d.keys.first() {
            Some((_, t)) if t == "HASH" => {}
            _ => {
                return Err(validation(
                    "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
                ))
            }
        }
        if let Some((n, t)) = d.keys.get(1) {
            if t != "RANGE" {
                return Err(validation(
                    "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
                ));
            }
            if d.keys.first().is_some_and(|(h, _)| h == n) {
                return Err(validation("Invalid KeySchema: Both the Hash Key and the Range Key element in the KeySchema have the same name"));
            }
        }
        if kind == IndexKind::Local {
            if d.keys.len() < 2 {
                return Err(invalid(format!(
                    "Index KeySchema does not have a range key for index: {name}"
                )));
            }
            let first = |keys: &[(String, String)]| keys.first().map(|k| k.0.clone());
            let (hash, table_hash) =
                (first(&d.keys).unwrap_or_default(), first(table_keys).unwrap_or_default());
            if hash != table_hash {
                return Err(invalid(format!(
                    "Index KeySchema does not have the same leading hash key as table KeySchema for index: {name}. index hash key: {hash}, table hash key: {table_hash}"
                )));
            }
        }
        d.projection = match (d.projection_type.as_deref(), &d.non_key_attributes) {
            (Some("ALL"), None) => Projection::All,
            (Some("KEYS_ONLY"), None) => Projection::KeysOnly,
            (Some(ty @ ("ALL" | "KEYS_ONLY")), Some(_)) => {
                return Err(invalid(format!(
                    "ProjectionType is {ty}, but NonKeyAttributes is specified"
                )));
            }
            (Some("INCLUDE"), None) => {
                return Err(invalid(
                    "ProjectionType is INCLUDE, but NonKeyAttributes is not specified".into(),
                ));
            }
            (Some("INCLUDE"), Some(attrs)) => {
                for (i, a) in attrs.iter().enumerate() {
                    if attrs.get(..i).is_some_and(|before| before.contains(a)) {
                        return Err(invalid(format!("Duplicate element in NonKeyAttributes: {a}")));
                    }
                }
                Projection::Include(attrs.clone())
            }
            _ => return Err(invalid("Unknown ProjectionType: null".into())),
        };
        if names.contains(name) {
            return Err(invalid(format!("Duplicate index name: {name}")));
        }
        names.push(name.clone());
        if let (IndexKind::Global, Some(pay_per_request)) = (kind, pay_per_request) {
            match (pay_per_request, d.throughput.is_some()) {
                (true, true) => {
                    return Err(invalid(format!(
                        "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
                    )));
                }
                (false, false) => {
                    return Err(invalid(format!(
                        "ProvisionedThroughput is not specified for index: {name}"
                    )));
                }
                _ => {}
            }
        }
    }
    match kind {
        IndexKind::Local if defs.len() > LOCAL_INDEXES_MAX => Err(invalid(format!(
            "Number of LocalSecondaryIndexes exceeds per-table limit of {LOCAL_INDEXES_MAX}"
        ))),
        IndexKind::Global if defs.len() > GLOBAL_INDEXES_MAX => Err(invalid(format!(
            "GlobalSecondaryIndex count exceeds the per-table limit of {GLOBAL_INDEXES_MAX}"
        ))),
        _ => Ok(()),
    }
}

/// Checks the table's projected non-key attributes against their limit (counted over every
/// index, a name once per index).
pub fn check_projected(defs: &[&IndexDef]) -> DResult<()> {
    let projected: usize = defs
        .iter()
        .map(|d| match &d.projection {
            Projection::Include(a) => a.len(),
            _ => 0,
        })
        .sum();
    if projected > PROJECTED_ATTRIBUTES_MAX {
        return Err(invalid(format!(
            "Number of projected attributes in all indexes exceeds limit of {PROJECTED_ATTRIBUTES_MAX}, provided: {projected}"
        )));
    }
    Ok(())
}
