//! Authentication at the front door: who sent a request.
//!
//! - `--auth sigv4` (the default): the request's SigV4 signature (the `Authorization` header or
//!   a presigned query string) is verified ([`shale_aws::sigv4::verify`]) against the root
//!   credentials and the IAM store's keys and sessions ([`Authenticator`]); the caller is the
//!   key's owner, with its policies.
//! - `--auth none`: the `Authorization` header's shape is checked as before and any
//!   credentials are accepted; the caller is anonymous and allowed everything (what DynamoDB
//!   Local does).

use crate::iam::caller::{Authenticator, Caller};
use http::header::AUTHORIZATION;
use http::request::Parts;
use shale_aws::sigv4::auth_error::AuthError;
use shale_aws::sigv4::verify::{Expected, Incoming, Verifier, VerifierOptions};
use shale_aws::sigv4::AuthHeader;
use shale_aws::{AwsError, Wire};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

/// How requests are authenticated.
pub enum Auth {
    /// Every request's SigV4 signature is verified.
    SigV4 { verifier: Verifier, authenticator: Arc<Authenticator>, region: String },
    /// Any credentials are accepted (`--auth none`).
    None { account: String },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::SigV4 { region, .. } => write!(f, "Auth::SigV4({region})"),
            Auth::None { .. } => f.write_str("Auth::None"),
        }
    }
}

impl Auth {
    /// The same authentication for another listener (`--metrics-addr`): the same keys, a
    /// verifier of its own.
    pub fn clone_for_metrics(&self) -> Auth {
        match self {
            Auth::SigV4 { verifier, authenticator, region } => Auth::SigV4 {
                verifier: Verifier::new(*verifier.options()),
                authenticator: Arc::clone(authenticator),
                region: region.clone(),
            },
            Auth::None { account } => Auth::None { account: account.clone() },
        }
    }

    /// SigV4 verification with `options` for `region`.
    pub fn sigv4(
        authenticator: Arc<Authenticator>,
        region: String,
        options: VerifierOptions,
    ) -> Auth {
        Auth::SigV4 { verifier: Verifier::new(options), authenticator, region }
    }

    /// The checks made before the body is read (a request with no credentials at all is
    /// refused before its body is taken in).
    pub fn precheck(&self, parts: &Parts, wire: Wire) -> Result<(), AwsError> {
        match self {
            Auth::None { .. } => AuthHeader::parse(&parts.headers).map(|_| ()),
            Auth::SigV4 { .. } => {
                let presigned = parts.uri.query().is_some_and(|q| q.contains("X-Amz-Signature="));
                if !presigned && !parts.headers.contains_key(AUTHORIZATION) {
                    return Err(AuthError::MissingToken.to_aws(wire));
                }
                Ok(())
            }
        }
    }

    /// Authenticates a request to the service signing as `signing_name`.
    pub fn authenticate(
        &self,
        parts: &Parts,
        body: &[u8],
        wire: Wire,
        signing_name: &str,
        peer: Option<IpAddr>,
        secure: bool,
    ) -> Result<Caller, AwsError> {
        match self {
            Auth::None { account } => Ok(Caller::anonymous(account, peer, secure)),
            Auth::SigV4 { verifier, authenticator, region } => {
                let incoming = Incoming {
                    method: parts.method.as_str(),
                    path: parts.uri.path(),
                    query: parts.uri.query().unwrap_or(""),
                    headers: &parts.headers,
                    body,
                };
                let expected = Expected { region, service: signing_name };
                let now = SystemTime::now();
                let verified = verifier
                    .verify(&incoming, &expected, now, authenticator.as_ref())
                    .map_err(|e| e.to_aws(wire))?;
                // A JSON operation is named by X-Amz-Target: unsigned, a captured request
                // could be replayed as another operation. Every SDK signs it.
                if wire == Wire::Json10 && !target_signed(parts) {
                    return Err(AuthError::InvalidSignature(
                        "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.".into(),
                    )
                    .to_aws(wire));
                }
                authenticator
                    .caller_at(verified.principal, peer, secure, now)
                    .map_err(AwsError::internal)
            }
        }
    }
}

/// Whether `x-amz-target` is among the request's signed headers (the header's
/// `SignedHeaders`, or a presigned URL's `X-Amz-SignedHeaders`).
fn target_signed(parts: &Parts) -> bool {
    if let Some(auth) = parts.headers.get(AUTHORIZATION) {
        // SignedHeaders are lower-case names; nothing else in a SigV4 header (the credential's
        // key id and scope, the hex signature) can hold this text.
        return auth.to_str().is_ok_and(|a| a.contains("x-amz-target"));
    }
    let query = parts.uri.query().unwrap_or("");
    form_urlencoded::parse(query.as_bytes())
        .any(|(k, v)| k == "X-Amz-SignedHeaders" && v.split(';').any(|h| h == "x-amz-target"))
}

/// The action a Prometheus scrape of `GET /metrics` is authorized for.
pub const SCRAPE_ACTION: &str = "cloudwatch:GetMetricData";

/// Authorizes `caller` to scrape `GET /metrics`.
pub fn authorize_scrape(caller: &Caller) -> Result<(), AwsError> {
    if caller.is_unrestricted() {
        return Ok(());
    }
    caller
        .authorize(SCRAPE_ACTION, "*", &caller.context())
        .map_err(|d| AwsError::sender("AccessDeniedException", d.message).with_status(403))
}

impl Auth {
    /// Authenticates a scrape of `GET /metrics`: a SigV4-signed request (service
    /// `monitoring`), or HTTP Basic with an access key id and its secret (what Prometheus'
    /// `basic_auth` sends; long-term keys only). Without credentials: 401 with
    /// `WWW-Authenticate: Basic`.
    pub fn authenticate_scrape(
        &self,
        parts: &Parts,
        peer: Option<IpAddr>,
        secure: bool,
    ) -> Result<Caller, AwsError> {
        let Auth::SigV4 { authenticator, .. } = self else {
            return self.authenticate(parts, &[], Wire::Json10, "monitoring", peer, secure);
        };
        let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(basic) = header.and_then(|h| h.strip_prefix("Basic ")) else {
            if header.is_some() {
                return self.authenticate(parts, &[], Wire::Json10, "monitoring", peer, secure);
            }
            return Err(AwsError::sender(
                "MissingAuthenticationTokenException",
                "GET /metrics needs credentials: SigV4, or HTTP Basic with an access key id and its secret",
            )
            .with_status(401)
            .with_header("www-authenticate", "Basic realm=\"shale\""));
        };
        use base64::Engine as _;
        let refused = || {
            AwsError::sender(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
            .with_status(401)
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .map_err(|_| refused())?;
        let text = String::from_utf8(decoded).map_err(|_| refused())?;
        let (id, secret) = text.split_once(':').ok_or_else(refused)?;
        use shale_aws::sigv4::verify::{Keys, Lookup};
        match authenticator.lookup(id) {
            Lookup::Found(c)
                if c.session_token.is_none()
                    && shale_aws::sigv4::sign::bytes_match(
                        c.secret.as_bytes(),
                        secret.as_bytes(),
                    ) =>
            {
                authenticator
                    .caller_at(c.principal, peer, secure, SystemTime::now())
                    .map_err(AwsError::internal)
            }
            _ => Err(refused()),
        }
    }
}
