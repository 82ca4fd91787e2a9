//! The one delivery policy every outbound client follows: each request ends delivered,
//! retried after a delay, or rejected.
//!
//! `decision` is pure (status and headers in, verdict and delay out); `retry` runs the
//! attempts under a bounded count and a total deadline; `client` builds the one
//! `reqwest::Client` shape every API uses, with connect and request timeouts; `roots`
//! chooses the certificates it trusts.

mod client;
mod decision;
mod retry;
mod roots;

pub use client::{BaseUrl, ClientError, Timeouts, build_client, build_client_without_redirects};
pub use decision::{Verdict, backoff, classify, rate_limit_wait, server_delay};
pub use retry::{Attempt, DeliveryError, RetryPolicy, deliver, transport_failure};
pub use roots::trust_compiled_in_roots;
