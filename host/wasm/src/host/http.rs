//! `http.send` through reqwest. Every address a name resolves to is checked against the
//! egress policy, by a resolver of our own so redirects and DNS tricks get no further than
//! the first request; address literals are checked before sending and on each redirect.

use super::Capability;
use super::State;
use crate::fermata::task::http::{Host, HttpError, Request, Response};
use crate::policy::HttpPolicy;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Largest response body handed to a plugin.
const MAX_BODY: usize = 16 << 20;

struct PolicyResolver(Arc<HttpPolicy>);

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut allowed = Vec::new();
            let mut refusal = None;
            for addr in addrs {
                match policy.check(&host, addr.ip()) {
                    Ok(()) => allowed.push(addr),
                    Err(e) => refusal = Some(e),
                }
            }
            if allowed.is_empty() {
                let why = refusal.unwrap_or_else(|| format!("{host} did not resolve"));
                return Err(why.into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

pub fn client(policy: &HttpPolicy) -> anyhow::Result<reqwest::Client> {
    let policy = Arc::new(policy.clone());
    let for_redirects = policy.clone();
    Ok(reqwest::Client::builder()
        .dns_resolver(Arc::new(PolicyResolver(policy)))
        .connect_timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 10 {
                return attempt.error("too many redirects");
            }
            match literal_refusal(&for_redirects, attempt.url()) {
                Some(why) => attempt.error(why),
                None => attempt.follow(),
            }
        }))
        .build()?)
}

/// Resolvers are not consulted for address literals: check those here.
fn literal_refusal(policy: &HttpPolicy, url: &reqwest::Url) -> Option<String> {
    let host = url.host_str()?;
    let ip: IpAddr = host.trim_matches(['[', ']']).parse().ok()?;
    policy.check(host, ip).err()
}

/// The reason closest to the cause: our policy's refusal if that is what failed.
fn describe(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        let text = err.to_string();
        if text.contains("is not allowed: start fermata with") {
            return text;
        }
        source = err.source();
    }
    let mut text = e.to_string();
    let mut inner = std::error::Error::source(e);
    while let Some(err) = inner {
        text.push_str(": ");
        text.push_str(&err.to_string());
        inner = err.source();
    }
    text
}

impl Host for State {
    async fn send(&mut self, req: Request) -> Result<Response, HttpError> {
        self.require(Capability::Http).map_err(HttpError::Denied)?;
        let url = reqwest::Url::parse(&req.uri)
            .map_err(|e| HttpError::InvalidRequest(format!("bad URI {}: {e}", req.uri)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(HttpError::InvalidRequest(format!(
                "unsupported scheme {}",
                url.scheme()
            )));
        }
        if let Some(why) = literal_refusal(&self.services.config.http, &url) {
            return Err(HttpError::Denied(why));
        }
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| HttpError::InvalidRequest(format!("bad method {}", req.method)))?;
        let budget = Duration::from_millis(
            u64::from(req.connect_timeout_ms) + u64::from(req.read_timeout_ms),
        )
        .min(self.remaining());
        let mut builder = self.services.http.request(method, url).timeout(budget);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(|e| {
            let text = describe(&e);
            if text.contains("is not allowed: start fermata with") {
                HttpError::Denied(text)
            } else if e.is_timeout() {
                HttpError::Timeout(format!(
                    "no answer within {} ms: {text}",
                    budget.as_millis()
                ))
            } else {
                HttpError::Failed(text)
            }
        })?;
        let status = response.status();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        if response
            .content_length()
            .is_some_and(|l| l as usize > MAX_BODY)
        {
            return Err(HttpError::Failed(format!(
                "response body larger than {MAX_BODY} bytes"
            )));
        }
        let body = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                HttpError::Timeout(describe(&e))
            } else {
                HttpError::Failed(describe(&e))
            }
        })?;
        if body.len() > MAX_BODY {
            return Err(HttpError::Failed(format!(
                "response body larger than {MAX_BODY} bytes"
            )));
        }
        Ok(Response {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            headers,
            body: body.to_vec(),
        })
    }
}
