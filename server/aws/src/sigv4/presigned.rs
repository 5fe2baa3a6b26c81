//! A presigned URL's authentication parameters, read from its query string.

use super::sign::percent_decode;
use super::AuthError;

/// The query parameter that makes a request presigned.
pub(crate) const SIGNATURE_PARAM: &str = "X-Amz-Signature";

/// The parameters, decoded.
#[derive(Debug, Default)]
pub(crate) struct Presigned {
    pub algorithm: String,
    pub credential: String,
    pub date: String,
    pub expires: Option<String>,
    pub signed_headers: String,
    pub signature: String,
    pub security_token: Option<String>,
    /// `X-Amz-Content-Sha256`: the payload hash, hoisted into the query (S3-style presigners
    /// send `UNSIGNED-PAYLOAD` there).
    pub content_sha256: Option<String>,
}

fn decoded(raw: &str) -> String {
    String::from_utf8_lossy(&percent_decode(raw)).into_owned()
}

/// Whether `query` has an `X-Amz-Signature` parameter.
pub(crate) fn is_presigned(query: &str) -> bool {
    query.split('&').any(|p| p.split_once('=').map_or(p, |(k, _)| k) == SIGNATURE_PARAM)
}

/// Reads the parameters of `query` (the first of each when repeated); a missing one is
/// [`AuthError::Incomplete`] naming it.
pub(crate) fn parse(query: &str) -> Result<Presigned, AuthError> {
    let mut p = Presigned::default();
    let mut seen = [false; 5];
    for pair in query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (slot, i) = match decoded(k).as_str() {
            "X-Amz-Algorithm" => (&mut p.algorithm, 0),
            "X-Amz-Credential" => (&mut p.credential, 1),
            "X-Amz-Date" => (&mut p.date, 2),
            "X-Amz-SignedHeaders" => (&mut p.signed_headers, 3),
            SIGNATURE_PARAM => (&mut p.signature, 4),
            "X-Amz-Expires" => {
                p.expires.get_or_insert_with(|| decoded(v));
                continue;
            }
            "X-Amz-Security-Token" => {
                p.security_token.get_or_insert_with(|| decoded(v));
                continue;
            }
            "X-Amz-Content-Sha256" => {
                p.content_sha256.get_or_insert_with(|| decoded(v));
                continue;
            }
            _ => continue,
        };
        if let Some(seen) = seen.get_mut(i) {
            if !*seen {
                *slot = decoded(v);
                *seen = true;
            }
        }
    }
    let names = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        SIGNATURE_PARAM,
    ];
    if let Some((name, _)) = names.iter().zip(seen).find(|(_, seen)| !seen) {
        return Err(AuthError::Incomplete(format!(
            "AWS query-string parameters must include '{name}'. Re-examine the query-string \
             parameters."
        )));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_decodes_the_parameters() {
        let q = "Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256\
                 &X-Amz-Credential=AKID%2F20261206%2Fus-east-1%2Fsts%2Faws4_request\
                 &X-Amz-Date=20261206T101500Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host\
                 &X-Amz-Security-Token=a%2Bb%3D&X-Amz-Signature=abc&X-Amz-Signature=def";
        assert!(is_presigned(q));
        let p = parse(q).unwrap();
        assert_eq!(p.credential, "AKID/20261206/us-east-1/sts/aws4_request");
        assert_eq!((p.date.as_str(), p.expires.as_deref()), ("20261206T101500Z", Some("900")));
        assert_eq!((p.signed_headers.as_str(), p.signature.as_str()), ("host", "abc"));
        assert_eq!(p.security_token.as_deref(), Some("a+b="));
        assert_eq!(p.algorithm, "AWS4-HMAC-SHA256");
    }

    #[test]
    fn a_missing_parameter_is_named() {
        assert!(!is_presigned("Action=X&X-Amz-Signaturex=1"));
        let e = parse("X-Amz-Signature=1&X-Amz-Algorithm=AWS4-HMAC-SHA256").unwrap_err();
        assert_eq!(
            e,
            AuthError::Incomplete(
                "AWS query-string parameters must include 'X-Amz-Credential'. Re-examine the \
                 query-string parameters."
                    .into()
            )
        );
    }
}
