//! Leader election on a `coordination.k8s.io/v1` Lease, as Kubernetes' own controllers do it.
//!
//! Every agent calls [`Elector::try_acquire_or_renew`] every retry period. The holder renews
//! the lease (a `PUT` carrying the `resourceVersion` it read, so a concurrent writer makes it a
//! 409 conflict rather than a lost update). Another agent takes the lease over only when the
//! record has not changed for a whole lease duration *as measured on its own clock* since it
//! first saw that record: clocks of different nodes are never compared. A holder that cannot
//! renew within the lease duration stops calling itself leader before anyone else may take
//! over. On shutdown the holder releases the lease (empty holder), so a successor need not wait.

use std::time::{Duration, Instant};

use http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};

use crate::{Error, Result};

/// Where the lease lives and how long it lasts.
#[derive(Debug, Clone)]
pub struct LeaseConfig {
    /// Namespace of the Lease object.
    pub namespace: String,
    /// Name of the Lease object.
    pub name: String,
    /// This agent's identity (the pod name, unique in the fleet).
    pub identity: String,
    /// How long a lease holds without renewal.
    pub duration: Duration,
    /// How often to try to acquire or renew.
    pub retry_period: Duration,
}

impl LeaseConfig {
    /// Defaults: a 60 s lease tried every 15 s.
    pub fn new(namespace: &str, name: &str, identity: &str) -> LeaseConfig {
        LeaseConfig {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            identity: identity.to_owned(),
            duration: Duration::from_secs(60),
            retry_period: Duration::from_secs(15),
        }
    }
}

/// What an attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// This agent holds the lease.
    Leader,
    /// Another agent holds it (its identity, when known).
    Follower(Option<String>),
}

/// The record as last observed, and when (on this agent's clock).
#[derive(Debug, Clone)]
struct Observed {
    holder: Option<String>,
    resource_version: String,
    at: Instant,
}

/// One agent's side of the election.
pub struct Elector {
    client: kube::Client,
    config: LeaseConfig,
    observed: Option<Observed>,
    /// When this agent last renewed successfully (while it believes it leads).
    renewed: Option<Instant>,
}

impl Elector {
    /// An elector that has not yet looked at the lease.
    pub fn new(client: kube::Client, config: LeaseConfig) -> Elector {
        Elector {
            client,
            config,
            observed: None,
            renewed: None,
        }
    }

    /// The lease's settings.
    pub fn config(&self) -> &LeaseConfig {
        &self.config
    }

    /// True while this agent may act as leader: it renewed within the lease duration.
    pub fn is_leader(&self) -> bool {
        self.renewed
            .is_some_and(|at| at.elapsed() < self.config.duration)
    }

    fn path(&self, named: bool) -> String {
        let base = format!(
            "/apis/coordination.k8s.io/v1/namespaces/{}/leases",
            self.config.namespace
        );
        if named {
            format!("{base}/{}", self.config.name)
        } else {
            base
        }
    }

    /// One round: read the lease, then create, renew or take it over when this agent may.
    /// An error (the API unreachable, a refused request) leaves the role as it was, except
    /// that leadership lapses once the lease duration passes without a renewal.
    pub async fn try_acquire_or_renew(&mut self) -> Result<Role> {
        let (status, current) = self.send(Method::GET, &self.path(true), None).await?;
        if status == StatusCode::NOT_FOUND {
            return self.create().await;
        }
        check(status, &current, "get")?;
        let spec = &current["spec"];
        let holder = spec["holderIdentity"]
            .as_str()
            .filter(|h| !h.is_empty())
            .map(str::to_owned);
        let resource_version = current["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let now = Instant::now();
        let changed = self
            .observed
            .as_ref()
            .is_none_or(|o| o.resource_version != resource_version);
        if changed {
            self.observed = Some(Observed {
                holder: holder.clone(),
                resource_version: resource_version.clone(),
                at: now,
            });
        }
        let observed_at = self.observed.as_ref().map_or(now, |o| o.at);
        let duration = spec["leaseDurationSeconds"]
            .as_u64()
            .map_or(self.config.duration, Duration::from_secs);
        let mine = holder.as_deref() == Some(self.config.identity.as_str());
        let expired = holder.is_none() || now.duration_since(observed_at) >= duration;
        if !mine && !expired {
            self.renewed = None;
            return Ok(Role::Follower(holder));
        }
        let stamp = micro_time();
        let mut next = current.clone();
        next["spec"]["holderIdentity"] = json!(self.config.identity);
        next["spec"]["leaseDurationSeconds"] = json!(self.config.duration.as_secs().max(1));
        next["spec"]["renewTime"] = json!(stamp);
        if !mine {
            let transitions = spec["leaseTransitions"].as_u64().unwrap_or(0);
            next["spec"]["acquireTime"] = json!(stamp);
            next["spec"]["leaseTransitions"] = json!(transitions + u64::from(holder.is_some()));
        }
        let (status, written) = self
            .send(Method::PUT, &self.path(true), Some(&next))
            .await?;
        if status == StatusCode::CONFLICT {
            // Someone wrote the lease between our read and our write: read again next round.
            self.observed = None;
            self.renewed = None;
            return Ok(Role::Follower(None));
        }
        check(status, &written, "update")?;
        self.accept(&written, now);
        Ok(Role::Leader)
    }

    async fn create(&mut self) -> Result<Role> {
        let stamp = micro_time();
        let lease = json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.config.name, "namespace": self.config.namespace},
            "spec": {
                "holderIdentity": self.config.identity,
                "leaseDurationSeconds": self.config.duration.as_secs().max(1),
                "acquireTime": stamp,
                "renewTime": stamp,
                "leaseTransitions": 0
            }
        });
        let now = Instant::now();
        let (status, written) = self
            .send(Method::POST, &self.path(false), Some(&lease))
            .await?;
        if status == StatusCode::CONFLICT {
            // Created by another agent a moment ago.
            self.renewed = None;
            return Ok(Role::Follower(None));
        }
        check(status, &written, "create")?;
        self.accept(&written, now);
        Ok(Role::Leader)
    }

    fn accept(&mut self, written: &Value, at: Instant) {
        self.observed = Some(Observed {
            holder: Some(self.config.identity.clone()),
            resource_version: written["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            at,
        });
        self.renewed = Some(at);
    }

    /// Gives the lease up if this agent holds it, so that another may take it at once.
    pub async fn release(&mut self) -> Result<()> {
        if self.renewed.take().is_none() {
            return Ok(());
        }
        let (status, current) = self.send(Method::GET, &self.path(true), None).await?;
        check(status, &current, "get")?;
        if current["spec"]["holderIdentity"].as_str() != Some(self.config.identity.as_str()) {
            return Ok(());
        }
        let mut next = current;
        next["spec"]["holderIdentity"] = Value::Null;
        next["spec"]["renewTime"] = json!(micro_time());
        let (status, written) = self
            .send(Method::PUT, &self.path(true), Some(&next))
            .await?;
        if status == StatusCode::CONFLICT {
            // Taken over meanwhile: nothing left to release.
            return Ok(());
        }
        check(status, &written, "update")?;
        self.observed = None;
        Ok(())
    }

    /// The holder the last read saw (for the start-up summary and logs).
    pub fn observed_holder(&self) -> Option<&str> {
        self.observed.as_ref().and_then(|o| o.holder.as_deref())
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value)> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::ACCEPT, "application/json");
        let body = match body {
            Some(value) => {
                request = request.header(http::header::CONTENT_TYPE, "application/json");
                kube::client::Body::from(value.to_string().into_bytes())
            }
            None => kube::client::Body::empty(),
        };
        let request = request.body(body).map_err(|e| Error::Lease {
            what: format!("building a request for {path}"),
            source: Box::new(e),
        })?;
        let response = self.client.send(request).await.map_err(|e| Error::Lease {
            what: format!("reaching the API server for lease {}", self.config.name),
            source: Box::new(e),
        })?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| Error::Lease {
                what: format!("reading the answer for lease {}", self.config.name),
                source: Box::new(e),
            })?
            .to_bytes();
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }
}

/// A failed answer as an error naming the verb and the server's message.
fn check(status: StatusCode, body: &Value, verb: &str) -> Result<()> {
    if status.is_success() {
        return Ok(());
    }
    Err(Error::LeaseRefused {
        verb: verb.to_owned(),
        status: status.as_u16(),
        message: body["message"].as_str().unwrap_or_default().to_owned(),
    })
}

/// Now as a Kubernetes `MicroTime` (RFC 3339, microseconds, UTC).
fn micro_time() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micro_time_has_six_fraction_digits_and_utc() {
        let t = micro_time();
        assert_eq!(t.len(), "2026-12-02T17:00:00.000000Z".len(), "{t}");
        assert!(t.ends_with('Z'));
    }
}
