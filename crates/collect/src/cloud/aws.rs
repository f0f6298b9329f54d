//! The AWS source: an EKS cluster's description (logging, endpoint access, secrets encryption,
//! authentication mode, the VPC CNI add-on) and the ECR repositories its pods pull from, read
//! with the official SDK and the default credential chain (environment, profile, IRSA's web
//! identity, EKS Pod Identity's container credentials, the instance profile).
//!
//! Resources (rules/README.md, "Cloud resources"): one `aws-eks` per cluster and one
//! `aws-ecr-repository` per repository, identified by ARN and scoped to `cloud:<account>/<region>`.
//! A refused or failed call never stops the rest: it is named by its IAM action, in the
//! resource's `errors` when the resource could still be described, else as a gap that turns the
//! rules routed to that resource type into `error` findings.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response as HttpResponse;
use kspm_model::{
    CloudLocation, ClusterInfo, Context, Gap, Origin, Resource, ResourceType, Scope, resource_id,
};
use serde_json::{Map, Value, json};

use super::EcrImage;
use crate::source::{Batch, Source};
use crate::{Diagnostic, Severity};

/// The IAM actions the source calls, with the resources they act on (`{region}` and
/// `{cluster}` to fill): the agent role's whole policy. `sts:GetCallerIdentity` needs no grant.
pub const IAM_ACTIONS: &[(&str, &str)] = &[
    (
        "eks:DescribeCluster",
        "arn:aws:eks:{region}:*:cluster/{cluster}",
    ),
    (
        "eks:DescribeAddon",
        "arn:aws:eks:{region}:*:addon/{cluster}/*",
    ),
    // Only to find the cluster by its endpoint when no name is given.
    ("eks:ListClusters", "*"),
    // The repositories the cluster's images come from, in whichever account they are.
    ("ecr:DescribeRepositories", "*"),
    ("ecr:GetRegistryScanningConfiguration", "*"),
];

/// What the AWS source reads.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// The EKS cluster's name; found by matching `api_server` against the region's clusters'
    /// endpoints when not given.
    pub cluster_name: Option<String>,
    /// The region (default: the SDK's chain — `AWS_REGION`, the profile, the instance — then
    /// the region in the API server's host name).
    pub region: Option<String>,
    /// The Kubernetes API server's URL, when the scan talks to one.
    pub api_server: Option<String>,
    /// The ECR images the cluster's pods and workloads pull ([`super::ecr_images`]).
    pub images: Vec<EcrImage>,
}

/// Reads EKS and ECR in one batch.
pub struct AwsSource {
    options: AwsOptions,
    cluster: ClusterInfo,
    done: bool,
}

impl AwsSource {
    /// A source for `options`, whose resources belong to `cluster`.
    pub fn new(options: AwsOptions, cluster: ClusterInfo) -> AwsSource {
        AwsSource {
            options,
            cluster,
            done: false,
        }
    }
}

impl Source for AwsSource {
    fn describe(&self) -> String {
        match (&self.options.cluster_name, &self.options.region) {
            (Some(name), Some(region)) => format!("AWS: EKS cluster {name} in {region}"),
            (Some(name), None) => format!("AWS: EKS cluster {name}"),
            _ => "AWS: the EKS cluster of this API server".into(),
        }
    }

    fn next_batch(&mut self) -> Option<Batch> {
        if std::mem::replace(&mut self.done, true) {
            return None;
        }
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let mut batch = Batch::default();
                fail_all(&mut batch, &format!("the AWS client could not start: {e}"));
                return Some(batch);
            }
        };
        Some(runtime.block_on(read(&self.options, &self.cluster)))
    }
}

/// Every AWS rule's data is missing, for `reason`.
fn fail_all(batch: &mut Batch, reason: &str) {
    for sub_type in ["aws-eks", "aws-ecr-repository"] {
        batch
            .gaps
            .push(Gap::unreadable(ResourceType::Cloud, sub_type, reason));
    }
    batch.diagnostics.push(error(reason));
}

fn error(message: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: "aws".into(),
        document: None,
        line: None,
        message: message.to_owned(),
    }
}

fn note(message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Note,
        file: "aws".into(),
        document: None,
        line: None,
        message,
    }
}

/// How a failed call reads: `eks:DescribeCluster was refused (AccessDeniedException: …)`.
fn failure<E>(action: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().map(str::to_owned);
    let message = err.message().map(str::to_owned);
    let denied = matches!(status, Some(401 | 403))
        || code.as_deref().is_some_and(|c| {
            c.starts_with("AccessDenied")
                || c == "UnauthorizedOperation"
                || c == "UnrecognizedClientException"
                || c == "InvalidClientTokenId"
                || c == "ExpiredTokenException"
        });
    let detail = match (&code, &message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) => match status {
            Some(s) => format!("HTTP {s}"),
            None => aws_smithy_error_chain(err),
        },
    };
    if denied {
        format!("{action} was refused ({detail}): grant it to kspm's IAM role")
    } else {
        format!("{action} failed: {detail}")
    }
}

fn aws_smithy_error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

async fn config(region: Option<String>) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(90))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts);
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    loader.load().await
}

/// `https://ABC.gr7.eu-west-1.eks.amazonaws.com` → `eu-west-1`.
fn region_of_endpoint(server: &str) -> Option<String> {
    let host = server.split_once("://").map_or(server, |(_, r)| r);
    let host = host.split(['/', ':']).next()?;
    let labels: Vec<&str> = host.split('.').collect();
    let at = labels.iter().position(|l| *l == "eks")?;
    (at >= 1 && labels.get(at + 1) == Some(&"amazonaws")).then(|| labels[at - 1].to_owned())
}

fn same_endpoint(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.trim_end_matches('/')
            .trim_start_matches("https://")
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

async fn read(options: &AwsOptions, cluster: &ClusterInfo) -> Batch {
    let mut batch = Batch::default();
    let region = options
        .region
        .clone()
        .or_else(|| options.api_server.as_deref().and_then(region_of_endpoint));
    let mut conf = config(region.clone()).await;
    if conf.region().is_none() {
        match options.api_server.as_deref().and_then(region_of_endpoint) {
            Some(r) => conf = config(Some(r)).await,
            None => {
                fail_all(
                    &mut batch,
                    "no AWS region: give --aws-region (or set AWS_REGION)",
                );
                return batch;
            }
        }
    }
    let region = conf.region().map(ToString::to_string).unwrap_or_default();

    // Who kspm is; the account also comes from the cluster's ARN when STS refuses.
    let sts = aws_sdk_sts::Client::new(&conf);
    let (mut account, caller) = match sts.get_caller_identity().send().await {
        Ok(who) => (
            who.account().unwrap_or_default().to_owned(),
            who.arn().map(str::to_owned),
        ),
        Err(e) => {
            batch
                .diagnostics
                .push(note(failure("sts:GetCallerIdentity", &e)));
            (String::new(), None)
        }
    };

    let eks = aws_sdk_eks::Client::new(&conf);
    let name = match &options.cluster_name {
        Some(name) => Some(name.clone()),
        None => match find_cluster(&eks, options.api_server.as_deref()).await {
            Ok(name) => Some(name),
            Err(reason) => {
                batch.gaps.push(Gap::unreadable(
                    ResourceType::Cloud,
                    "aws-eks",
                    reason.clone(),
                ));
                batch.diagnostics.push(error(&reason));
                None
            }
        },
    };
    if let Some(name) = &name {
        match describe_cluster(&eks, name).await {
            Ok((description, errors)) => {
                let arn = description["arn"].as_str().unwrap_or_default().to_owned();
                if account.is_empty() {
                    account = arn.split(':').nth(4).unwrap_or_default().to_owned();
                }
                let facts = json!({
                    "account": account,
                    "region": region,
                    "caller": caller,
                    "cluster": description["cluster"],
                    "addons": description["addons"],
                    "errors": errors,
                });
                batch.resources.push(cloud_resource(
                    "aws-eks",
                    &arn,
                    name,
                    facts,
                    (&account, &region),
                    cluster,
                ));
            }
            Err(reason) => {
                batch.gaps.push(Gap::unreadable(
                    ResourceType::Cloud,
                    "aws-eks",
                    reason.clone(),
                ));
                batch.diagnostics.push(error(&reason));
            }
        }
    }

    read_repositories(&conf, &account, options, cluster, &mut batch).await;
    batch
}

/// The cluster whose endpoint is the API server kspm talks to.
async fn find_cluster(
    eks: &aws_sdk_eks::Client,
    api_server: Option<&str>,
) -> Result<String, String> {
    let Some(server) = api_server else {
        return Err(
            "no EKS cluster name: give --eks-cluster (kspm finds it by itself only when it \
             talks to the cluster's API server)"
                .into(),
        );
    };
    let mut names = Vec::new();
    let mut pages = eks.list_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => names.extend(page.clusters().iter().cloned()),
            Err(e) => return Err(failure("eks:ListClusters", &e)),
        }
    }
    for name in &names {
        match eks.describe_cluster().name(name).send().await {
            Ok(out) => {
                if out
                    .cluster()
                    .and_then(|c| c.endpoint())
                    .is_some_and(|e| same_endpoint(e, server))
                {
                    return Ok(name.clone());
                }
            }
            Err(e) => return Err(failure("eks:DescribeCluster", &e)),
        }
    }
    Err(format!(
        "none of the {} EKS clusters in this region has the endpoint {server}: give \
         --eks-cluster and --aws-region",
        names.len()
    ))
}

/// `DescribeCluster` as AWS's own JSON field names, and the `vpc-cni` add-on.
async fn describe_cluster(
    eks: &aws_sdk_eks::Client,
    name: &str,
) -> Result<(Value, Map<String, Value>), String> {
    let out = eks
        .describe_cluster()
        .name(name)
        .send()
        .await
        .map_err(|e| format!("{} (cluster {name})", failure("eks:DescribeCluster", &e)))?;
    let c = out
        .cluster()
        .ok_or_else(|| format!("eks:DescribeCluster returned no cluster for {name}"))?;
    let mut cluster = Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            cluster.insert(key.to_owned(), value);
        }
    };
    put("name", json!(c.name()));
    put("arn", json!(c.arn()));
    put("version", json!(c.version()));
    put("platformVersion", json!(c.platform_version()));
    put("status", json!(c.status().map(|s| s.as_str())));
    put("endpoint", json!(c.endpoint()));
    put("roleArn", json!(c.role_arn()));
    if let Some(v) = c.resources_vpc_config() {
        put(
            "resourcesVpcConfig",
            json!({
                "subnetIds": v.subnet_ids(),
                "securityGroupIds": v.security_group_ids(),
                "clusterSecurityGroupId": v.cluster_security_group_id(),
                "vpcId": v.vpc_id(),
                "endpointPublicAccess": v.endpoint_public_access(),
                "endpointPrivateAccess": v.endpoint_private_access(),
                "publicAccessCidrs": v.public_access_cidrs(),
            }),
        );
    }
    if let Some(l) = c.logging() {
        let setups: Vec<Value> = l
            .cluster_logging()
            .iter()
            .map(|s| {
                json!({
                    "types": s.types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                    "enabled": s.enabled(),
                })
            })
            .collect();
        put("logging", json!({ "clusterLogging": setups }));
    }
    let encryption: Vec<Value> = c
        .encryption_config()
        .iter()
        .map(|e| {
            json!({
                "resources": e.resources(),
                "provider": e.provider().map(|p| json!({"keyArn": p.key_arn()})),
            })
        })
        .collect();
    if !encryption.is_empty() {
        put("encryptionConfig", Value::Array(encryption));
    }
    if let Some(a) = c.access_config() {
        put(
            "accessConfig",
            json!({
                "authenticationMode": a.authentication_mode().map(|m| m.as_str()),
                "bootstrapClusterCreatorAdminPermissions":
                    a.bootstrap_cluster_creator_admin_permissions(),
            }),
        );
    }
    if let Some(issuer) = c.identity().and_then(|i| i.oidc()).and_then(|o| o.issuer()) {
        put("identity", json!({"oidc": {"issuer": issuer}}));
    }
    if let Some(n) = c.kubernetes_network_config() {
        put(
            "kubernetesNetworkConfig",
            json!({
                "serviceIpv4Cidr": n.service_ipv4_cidr(),
                "ipFamily": n.ip_family().map(|f| f.as_str()),
            }),
        );
    }
    if let Some(tags) = c.tags() {
        put("tags", json!(tags));
    }

    let mut errors = Map::new();
    let mut addons = Map::new();
    match eks
        .describe_addon()
        .cluster_name(name)
        .addon_name("vpc-cni")
        .send()
        .await
    {
        Ok(out) => {
            addons.insert(
                "vpc-cni".into(),
                out.addon().map_or(Value::Null, |a| {
                    json!({
                        "addonVersion": a.addon_version(),
                        "status": a.status().map(|s| s.as_str()),
                        "configurationValues": a.configuration_values(),
                    })
                }),
            );
        }
        // Not installed as a managed add-on (a self-managed aws-node, or another CNI).
        Err(e) if e.code() == Some("ResourceNotFoundException") => {
            addons.insert("vpc-cni".into(), Value::Null);
        }
        Err(e) => {
            errors.insert(
                "eks:DescribeAddon".into(),
                Value::String(failure("eks:DescribeAddon", &e)),
            );
        }
    }
    let arn = c.arn().unwrap_or_default();
    Ok((
        json!({"arn": arn, "cluster": cluster, "addons": addons}),
        errors,
    ))
}

/// The accounts whose ECR registries serve the EKS add-on images (aws-node, kube-proxy,
/// CoreDNS, …) in the commercial, China and GovCloud regions: AWS's, not the user's to judge.
const EKS_REGISTRIES: &[&str] = &[
    "602401143452",
    "800184023465",
    "558608220178",
    "918309763551",
    "961992271922",
    "900889452093",
    "590381155156",
    "066635153087",
    "296578399912",
    "151742754352",
    "013241004608",
    "759879836304",
];

/// One resource per ECR repository the cluster's images come from.
async fn read_repositories(
    conf: &SdkConfig,
    own_account: &str,
    options: &AwsOptions,
    cluster: &ClusterInfo,
    batch: &mut Batch,
) {
    // (region, registry) → repository → images.
    let mut wanted: BTreeMap<(String, String), BTreeMap<String, BTreeSet<String>>> =
        BTreeMap::new();
    for image in &options.images {
        wanted
            .entry((image.region.clone(), image.account.clone()))
            .or_default()
            .entry(image.repository.clone())
            .or_default()
            .insert(image.image.clone());
    }
    for ((region, registry), repositories) in wanted {
        let ecr = aws_sdk_ecr::Client::from_conf(
            aws_sdk_ecr::config::Builder::from(conf)
                .region(Region::new(region.clone()))
                .build(),
        );
        // The registry's scanning rules can only be read for kspm's own account.
        let mut errors = Map::new();
        let scanning = if registry == own_account {
            match ecr.get_registry_scanning_configuration().send().await {
                Ok(out) => out.scanning_configuration().map(|s| {
                    json!({
                        "scanType": s.scan_type().map(|t| t.as_str()),
                        "rules": s.rules().iter().map(|r| json!({
                            "scanFrequency": r.scan_frequency().as_str(),
                            "repositoryFilters": r.repository_filters().iter().map(|f| json!({
                                "filter": f.filter(),
                                "filterType": f.filter_type().as_str(),
                            })).collect::<Vec<_>>(),
                        })).collect::<Vec<_>>(),
                    })
                }),
                Err(e) => {
                    errors.insert(
                        "ecr:GetRegistryScanningConfiguration".into(),
                        Value::String(failure("ecr:GetRegistryScanningConfiguration", &e)),
                    );
                    None
                }
            }
        } else {
            errors.insert(
                "ecr:GetRegistryScanningConfiguration".into(),
                Value::String(format!(
                    "registry {registry} belongs to another account than kspm's ({own_account}); \
                     its registry-wide scanning rules cannot be read from here"
                )),
            );
            None
        };
        let names: Vec<String> = repositories.keys().cloned().collect();
        if EKS_REGISTRIES.contains(&registry.as_str()) {
            batch.diagnostics.push(note(format!(
                "ECR registry {registry} in {region} is AWS's own, for EKS add-ons ({}): not judged",
                names.join(", ")
            )));
            continue;
        }
        let described = match describe_repositories(&ecr, &registry, &names).await {
            Ok(found) => found,
            // Another account's registry: what kspm may see there is up to that account.
            Err(reason) if registry != own_account && !own_account.is_empty() => {
                batch.diagnostics.push(note(format!(
                    "{reason} (registry {registry} in {region}, another account than kspm's): \
                     its repositories are not judged"
                )));
                continue;
            }
            Err(reason) => {
                let reason = format!("{reason} (registry {registry} in {region})");
                batch.gaps.push(Gap::unreadable(
                    ResourceType::Cloud,
                    "aws-ecr-repository",
                    reason.clone(),
                ));
                batch.diagnostics.push(error(&reason));
                continue;
            }
        };
        for name in &names {
            let Some(repo) = described.get(name) else {
                batch.diagnostics.push(note(format!(
                    "ECR repository {name} (registry {registry} in {region}) does not exist; \
                     pods pulling {} will fail",
                    repositories[name]
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
                continue;
            };
            let mut facts = repo.clone();
            facts.insert("account".into(), json!(registry));
            facts.insert("region".into(), json!(region));
            facts.insert("registryScanning".into(), json!(scanning));
            facts.insert("images".into(), json!(repositories[name]));
            facts.insert("errors".into(), Value::Object(errors.clone()));
            let arn = repo["repositoryArn"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            batch.resources.push(cloud_resource(
                "aws-ecr-repository",
                &arn,
                name,
                Value::Object(facts),
                (&registry, &region),
                cluster,
            ));
        }
    }
}

/// `DescribeRepositories` for `names`, 100 at a time; a name that does not exist makes ECR
/// refuse the whole call, so then each is asked alone.
async fn describe_repositories(
    ecr: &aws_sdk_ecr::Client,
    registry: &str,
    names: &[String],
) -> Result<BTreeMap<String, Map<String, Value>>, String> {
    let mut found = BTreeMap::new();
    for chunk in names.chunks(100) {
        let call = |names: Vec<String>| {
            ecr.describe_repositories()
                .registry_id(registry)
                .set_repository_names(Some(names))
                .send()
        };
        let repos = match call(chunk.to_vec()).await {
            Ok(out) => out.repositories().to_vec(),
            Err(e) if e.code() == Some("RepositoryNotFoundException") => {
                let mut repos = Vec::new();
                for name in chunk {
                    match call(vec![name.clone()]).await {
                        Ok(out) => repos.extend(out.repositories().iter().cloned()),
                        Err(e) if e.code() == Some("RepositoryNotFoundException") => {}
                        Err(e) => return Err(failure("ecr:DescribeRepositories", &e)),
                    }
                }
                repos
            }
            Err(e) => return Err(failure("ecr:DescribeRepositories", &e)),
        };
        for r in repos {
            let Some(name) = r.repository_name() else {
                continue;
            };
            let mut facts = Map::new();
            facts.insert("repositoryName".into(), json!(name));
            facts.insert("repositoryArn".into(), json!(r.repository_arn()));
            facts.insert("registryId".into(), json!(r.registry_id()));
            facts.insert("repositoryUri".into(), json!(r.repository_uri()));
            facts.insert(
                "imageScanningConfiguration".into(),
                json!({"scanOnPush": r.image_scanning_configuration().is_some_and(|c| c.scan_on_push())}),
            );
            facts.insert(
                "imageTagMutability".into(),
                json!(r.image_tag_mutability().map(|m| m.as_str())),
            );
            facts.insert(
                "encryptionConfiguration".into(),
                json!(r.encryption_configuration().map(|e| json!({
                    "encryptionType": e.encryption_type().as_str(),
                    "kmsKey": e.kms_key(),
                }))),
            );
            found.insert(name.to_owned(), facts);
        }
    }
    Ok(found)
}

fn cloud_resource(
    sub_type: &str,
    arn: &str,
    name: &str,
    facts: Value,
    (account, region): (&str, &str),
    cluster: &ClusterInfo,
) -> Resource {
    Resource {
        kind: ResourceType::Cloud,
        sub_type: sub_type.to_owned(),
        id: resource_id(&cluster.id, ResourceType::Cloud, arn),
        name: name.to_owned(),
        resource: Arc::new(facts),
        context: Context {
            cluster: cluster.clone(),
            node: None,
        },
        origin: Some(Origin::Cloud(CloudLocation {
            arn: arn.to_owned(),
            account: account.to_owned(),
            region: region.to_owned(),
        })),
        scope: Scope::Cloud {
            account: account.to_owned(),
            region: region.to_owned(),
        },
        raw: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_is_read_from_an_eks_endpoint() {
        assert_eq!(
            region_of_endpoint("https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_of_endpoint("https://abc.yl4.cn-north-1.eks.amazonaws.com.cn:443/").as_deref(),
            Some("cn-north-1")
        );
        assert_eq!(region_of_endpoint("https://10.0.0.1:6443"), None);
        assert_eq!(region_of_endpoint("https://eks.amazonaws.com"), None);
    }

    #[test]
    fn endpoints_compare_without_scheme_case_or_trailing_slash() {
        assert!(same_endpoint(
            "https://ABC.gr7.us-east-1.eks.amazonaws.com/",
            "https://abc.gr7.us-east-1.eks.amazonaws.com"
        ));
        assert!(!same_endpoint(
            "https://abc.gr7.us-east-1.eks.amazonaws.com",
            "https://abd.gr7.us-east-1.eks.amazonaws.com"
        ));
    }
}
