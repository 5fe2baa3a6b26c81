//! The namespace registry: the keyspace name prefixes the server's services own. The
//! key-value protocol neither lists nor touches keyspaces under them (so it cannot break a
//! service's encodings), and two services never share one. Services to come (secondary
//! indexes, streams, IAM, metrics, backups) add their prefix here.

/// A reserved keyspace prefix and who owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Namespace {
    /// Every keyspace of the owner starts with this.
    pub prefix: &'static str,
    /// The owner, as error messages name it.
    pub owner: &'static str,
}

/// The DynamoDB service: its table catalog and its tables' item keyspaces.
pub const DYNAMODB: Namespace = Namespace { prefix: "dynamo.", owner: "the DynamoDB gateway" };

/// IAM: its store of identities, keys, policies and sessions.
pub const IAM: Namespace = Namespace { prefix: "iam.", owner: "IAM" };

/// CloudWatch: the metric store and the alarms.
pub const CLOUDWATCH: Namespace = Namespace { prefix: "cloudwatch.", owner: "CloudWatch" };

/// Every reserved namespace.
pub const RESERVED: &[Namespace] = &[DYNAMODB, IAM, CLOUDWATCH];

/// The namespace `keyspace` falls under, if it is reserved.
pub fn reserved_by(keyspace: &str) -> Option<&'static Namespace> {
    RESERVED.iter().find(|ns| keyspace.starts_with(ns.prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_disjoint_and_found() {
        for (i, a) in RESERVED.iter().enumerate() {
            for b in RESERVED.iter().skip(i + 1) {
                assert!(!a.prefix.starts_with(b.prefix) && !b.prefix.starts_with(a.prefix));
            }
        }
        assert_eq!(reserved_by("dynamo.t.1"), Some(&DYNAMODB));
        assert_eq!(reserved_by("cloudwatch.points"), Some(&CLOUDWATCH));
        assert_eq!(reserved_by(crate::iam::store::KEYSPACE), Some(&IAM));
        assert_eq!(reserved_by("dynamo"), None);
        assert_eq!(reserved_by("mine"), None);
    }
}
