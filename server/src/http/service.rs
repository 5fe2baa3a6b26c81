//! The operation registry: what a service tells the front door, and how the front door
//! dispatches to it without knowing it.
//!
//! A service ([`Service`]) says how it is addressed ([`Address`]: its JSON 1.0 target prefix,
//! its query-protocol scope, its RPC v2 CBOR service name) and lists its operations once
//! ([`Operation`]: name, the IAM action it needs, and the service's own handler). The front
//! door finds an operation by name, asks the service whether it runs on the connection's task
//! or on a blocking thread, and calls it with the request's body.

use crate::iam::caller::Caller;
use shale_aws::{AwsError, Reply, Wire};

/// One request as a service's operation sees it.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The protocol it came in (and its answer goes out) in.
    pub wire: Wire,
    /// The body.
    pub body: &'a [u8],
    /// Who sent it (authenticated); every operation authorizes with it before it acts.
    pub caller: &'a Caller,
    /// The request id its answer carries.
    pub request_id: &'a str,
}

/// How a service is addressed on the endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Address {
    /// The `X-Amz-Target` prefix of its JSON 1.0 operations (`DynamoDB_20120810`).
    pub json_target_prefix: Option<&'static str>,
    /// The SigV4 scope service of its query-protocol requests (`iam`), and the XML
    /// namespace of its answers.
    pub query: Option<(&'static str, &'static str)>,
    /// Its RPC v2 CBOR service name (`GraniteServiceVersion20100801`).
    pub cbor_service: Option<&'static str>,
}

/// One operation of a service.
#[derive(Debug)]
pub struct Operation<H: 'static> {
    /// The operation's name (`PutItem`).
    pub name: &'static str,
    /// The IAM action a caller needs to run it (`dynamodb:PutItem`).
    pub iam_action: &'static str,
    /// The service's handler.
    pub handler: H,
}

/// One AWS service on the endpoint.
pub trait Service: Send + Sync + 'static {
    /// What the service's registry holds for each operation.
    type Handler: Send + Sync + 'static;

    /// The service's name, for logs (`dynamodb`).
    fn name(&self) -> &'static str;

    /// How it is addressed.
    fn address(&self) -> Address;

    /// The service name of its SigV4 credential scope (`dynamodb`, `iam`, `sts`).
    fn signing_name(&self) -> &'static str;

    /// Every operation, each once.
    fn operations(&self) -> &'static [Operation<Self::Handler>];

    /// Whether `op` runs on the connection's task (short, bounded, non-blocking work) rather
    /// than on a blocking thread.
    fn runs_inline(&self, op: &Operation<Self::Handler>) -> bool;

    /// Runs `op` on the request (authorizing its caller first) and encodes its answer for
    /// the request's wire.
    fn call(&self, op: &Operation<Self::Handler>, call: &Call<'_>) -> Result<Reply, AwsError>;

    /// The service's own form of an internal error (a failed task, a closed budget), so a
    /// client sees one internal-error type from the service whatever failed.
    fn internal(&self, message: String) -> AwsError {
        AwsError::internal(message)
    }
}

/// A service with its type erased, as the front door holds it.
pub trait Dispatch: Send + Sync + 'static {
    /// [`Service::name`].
    fn name(&self) -> &'static str;
    /// [`Service::address`].
    fn address(&self) -> Address;
    /// [`Service::signing_name`].
    fn signing_name(&self) -> &'static str;
    /// The index of the operation called `name`.
    fn find(&self, name: &str) -> Option<usize>;
    /// The name of operation `i`.
    fn op_name(&self, i: usize) -> &'static str;
    /// The IAM action of operation `i`.
    fn iam_action(&self, i: usize) -> &'static str;
    /// [`Service::runs_inline`] of operation `i`.
    fn runs_inline(&self, i: usize) -> bool;
    /// [`Service::call`] of operation `i`.
    fn call(&self, i: usize, call: &Call<'_>) -> Result<Reply, AwsError>;
    /// [`Service::internal`].
    fn internal(&self, message: String) -> AwsError;
}

impl<S: Service> Dispatch for S {
    fn name(&self) -> &'static str {
        Service::name(self)
    }

    fn address(&self) -> Address {
        Service::address(self)
    }

    fn signing_name(&self) -> &'static str {
        Service::signing_name(self)
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.operations().iter().position(|op| op.name == name)
    }

    fn op_name(&self, i: usize) -> &'static str {
        self.operations().get(i).map_or("", |op| op.name)
    }

    fn iam_action(&self, i: usize) -> &'static str {
        self.operations().get(i).map_or("", |op| op.iam_action)
    }

    fn runs_inline(&self, i: usize) -> bool {
        self.operations().get(i).is_some_and(|op| Service::runs_inline(self, op))
    }

    fn call(&self, i: usize, call: &Call<'_>) -> Result<Reply, AwsError> {
        match self.operations().get(i) {
            Some(op) => Service::call(self, op, call),
            None => Err(AwsError::unknown_operation(&format!("number {i}"))),
        }
    }

    fn internal(&self, message: String) -> AwsError {
        Service::internal(self, message)
    }
}

/// Renders the Prometheus page of `GET /metrics`.
pub type MetricsPage = std::sync::Arc<dyn Fn() -> String + Send + Sync>;

/// The services of one endpoint, its `GET /metrics` page when it serves one, where its
/// requests' latency breakdowns are summed when it keeps them, which web origins may call
/// it ([`super::cors`]; none unless set), and whether it serves the web console (not unless
/// set).
#[derive(Default, Clone)]
pub struct Services {
    services: Vec<std::sync::Arc<dyn Dispatch>>,
    metrics_page: Option<MetricsPage>,
    traces: Option<std::sync::Arc<super::trace::Traces>>,
    cors: super::cors::Cors,
    console: bool,
}

impl Services {
    /// No services.
    pub fn new() -> Services {
        Services::default()
    }

    /// Adds a service. Two services may not share an address.
    pub fn with(mut self, service: std::sync::Arc<dyn Dispatch>) -> Services {
        let a = service.address();
        debug_assert!(
            self.services.iter().all(|s| {
                let b = s.address();
                (a.json_target_prefix.is_none() || a.json_target_prefix != b.json_target_prefix)
                    && (a.query.is_none() || a.query.map(|q| q.0) != b.query.map(|q| q.0))
                    && (a.cbor_service.is_none() || a.cbor_service != b.cbor_service)
            }),
            "two services share an address"
        );
        self.services.push(service);
        self
    }

    /// With `GET /metrics` answered by `page`.
    pub fn with_metrics_page(mut self, page: MetricsPage) -> Services {
        self.metrics_page = Some(page);
        self
    }

    /// The `GET /metrics` page, when served.
    pub fn metrics_page(&self) -> Option<&MetricsPage> {
        self.metrics_page.as_ref()
    }

    /// With a sample of the requests' latency breakdowns summed in `traces`
    /// ([`super::trace`]).
    pub fn with_traces(mut self, traces: std::sync::Arc<super::trace::Traces>) -> Services {
        self.traces = Some(traces);
        self
    }

    /// With the web origins `cors` allows.
    pub fn with_cors(mut self, cors: super::cors::Cors) -> Services {
        self.cors = cors;
        self
    }

    /// With the web console served under `/console/` ([`super::console`]).
    pub fn with_console(mut self, on: bool) -> Services {
        self.console = on;
        self
    }

    /// Whether the web console is served.
    pub fn console(&self) -> bool {
        self.console
    }

    /// The web origins allowed.
    pub fn cors(&self) -> &super::cors::Cors {
        &self.cors
    }

    /// Where the requests' latency breakdowns are summed, when they are.
    pub fn traces(&self) -> Option<&std::sync::Arc<super::trace::Traces>> {
        self.traces.as_ref()
    }

    /// The service whose JSON 1.0 target prefix is `prefix`.
    pub fn by_json_prefix(&self, prefix: &str) -> Option<&std::sync::Arc<dyn Dispatch>> {
        self.services.iter().find(|s| s.address().json_target_prefix == Some(prefix))
    }

    /// The service whose query-protocol scope is `scope` (or the only query service when the
    /// request has no scope).
    pub fn by_query_scope(&self, scope: Option<&str>) -> Option<&std::sync::Arc<dyn Dispatch>> {
        let mut query = self.services.iter().filter(|s| s.address().query.is_some());
        match scope {
            Some(scope) => query.find(|s| s.address().query.map(|q| q.0) == Some(scope)),
            None => {
                let first = query.next();
                if query.next().is_some() {
                    None
                } else {
                    first
                }
            }
        }
    }

    /// The query-protocol service that has operation `action` (for a request whose service
    /// no credential scope names: IAM's and STS's operations do not overlap).
    pub fn by_query_action(&self, action: &str) -> Option<&std::sync::Arc<dyn Dispatch>> {
        self.services.iter().find(|s| s.address().query.is_some() && s.find(action).is_some())
    }

    /// The first query-protocol service's XML namespace (for errors of a query request no
    /// service could be found for).
    pub fn first_query_xmlns(&self) -> &'static str {
        self.services.iter().find_map(|s| s.address().query.map(|q| q.1)).unwrap_or("")
    }

    /// The service whose RPC v2 CBOR name is `name`.
    pub fn by_cbor_service(&self, name: &str) -> Option<&std::sync::Arc<dyn Dispatch>> {
        self.services.iter().find(|s| s.address().cbor_service == Some(name))
    }
}
