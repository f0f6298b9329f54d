//! Content negotiation: which representation the client asked for in `Accept`. The API server
//! reads media-type parameters `as` (kind), `g` (group) and `v` (version) to serve a
//! transformed representation — aggregated discovery, a Table for kubectl, metadata only.

/// A representation of a resource answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Representation {
    /// The objects themselves.
    Objects,
    /// `meta.k8s.io` `Table` (`kubectl get`'s server-side printing), in `v1` or `v1beta1`.
    Table(&'static str),
    /// `meta.k8s.io` `PartialObjectMetadata[List]`, in `v1` or `v1beta1`.
    Metadata(&'static str),
}

/// A representation of `/api` and `/apis`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DiscoveryFormat {
    /// `APIVersions` / `APIGroupList`, the per-group discovery.
    Legacy,
    /// `apidiscovery.k8s.io` `APIGroupDiscoveryList` in `v2` or `v2beta1`.
    Aggregated(&'static str),
}

#[derive(Debug)]
struct MediaRange<'a> {
    essence: String,
    params: Vec<(String, &'a str)>,
    quality: f32,
}

impl MediaRange<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }

    /// JSON, or a wildcard the server may answer with JSON.
    fn takes_json(&self) -> bool {
        matches!(
            self.essence.as_str(),
            "application/json" | "application/*" | "*/*"
        )
    }
}

fn parse(accept: &str) -> Vec<MediaRange<'_>> {
    let mut ranges: Vec<MediaRange> = accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let essence = parts.next()?.trim().to_ascii_lowercase();
            if essence.is_empty() {
                return None;
            }
            let mut params = Vec::new();
            let mut quality = 1.0;
            for p in parts {
                let Some((k, v)) = p.split_once('=') else {
                    continue;
                };
                let k = k.trim().to_ascii_lowercase();
                let v = v.trim().trim_matches('"');
                if k == "q" {
                    quality = v.parse().unwrap_or(0.0);
                } else {
                    params.push((k, v));
                }
            }
            Some(MediaRange {
                essence,
                params,
                quality,
            })
        })
        .filter(|r| r.quality > 0.0)
        .collect();
    // Stable: equal preferences keep the client's order.
    ranges.sort_by(|a, b| b.quality.total_cmp(&a.quality));
    ranges
}

/// The representation of a resource answer, or `None` (406) when nothing acceptable is JSON.
/// `list` tells whether the answer is a collection (`PartialObjectMetadataList`) or one object.
pub(crate) fn representation(accept: Option<&str>, list: bool) -> Option<Representation> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(Representation::Objects);
    };
    for range in parse(accept) {
        if !range.takes_json() {
            continue;
        }
        let Some(kind) = range.param("as") else {
            return Some(Representation::Objects);
        };
        if range.param("g") != Some("meta.k8s.io") {
            continue;
        }
        let version = match range.param("v") {
            Some("v1") => "v1",
            Some("v1beta1") => "v1beta1",
            _ => continue,
        };
        let metadata_kind = if list {
            "PartialObjectMetadataList"
        } else {
            "PartialObjectMetadata"
        };
        if kind == "Table" {
            return Some(Representation::Table(version));
        }
        if kind == metadata_kind {
            return Some(Representation::Metadata(version));
        }
    }
    None
}

/// The representation of `/api` or `/apis`; aggregated only when the server offers it.
pub(crate) fn discovery_format(accept: Option<&str>, aggregated: bool) -> Option<DiscoveryFormat> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(DiscoveryFormat::Legacy);
    };
    for range in parse(accept) {
        if !range.takes_json() {
            continue;
        }
        match range.param("as") {
            None => return Some(DiscoveryFormat::Legacy),
            Some("APIGroupDiscoveryList")
                if aggregated && range.param("g") == Some("apidiscovery.k8s.io") =>
            {
                match range.param("v") {
                    Some("v2") => return Some(DiscoveryFormat::Aggregated("v2")),
                    Some("v2beta1") => return Some(DiscoveryFormat::Aggregated("v2beta1")),
                    _ => continue,
                }
            }
            Some(_) => continue,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECTL_GET: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    const CLIENT_GO_DISCOVERY: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

    #[test]
    fn kubectl_get_is_served_a_table() {
        assert_eq!(
            representation(Some(KUBECTL_GET), true),
            Some(Representation::Table("v1"))
        );
        assert_eq!(representation(None, true), Some(Representation::Objects));
        assert_eq!(
            representation(Some("*/*"), false),
            Some(Representation::Objects)
        );
    }

    #[test]
    fn metadata_only_requests_are_honoured_per_list_or_object() {
        let list = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
        assert_eq!(
            representation(Some(list), true),
            Some(Representation::Metadata("v1"))
        );
        assert_eq!(representation(Some(list), false), None);
    }

    #[test]
    fn protobuf_only_is_not_acceptable() {
        assert_eq!(
            representation(Some("application/vnd.kubernetes.protobuf"), true),
            None
        );
        assert_eq!(
            representation(
                Some("application/vnd.kubernetes.protobuf,application/json"),
                true
            ),
            Some(Representation::Objects)
        );
    }

    #[test]
    fn aggregated_discovery_only_when_asked_and_offered() {
        assert_eq!(
            discovery_format(Some(CLIENT_GO_DISCOVERY), true),
            Some(DiscoveryFormat::Aggregated("v2"))
        );
        assert_eq!(
            discovery_format(Some(CLIENT_GO_DISCOVERY), false),
            Some(DiscoveryFormat::Legacy)
        );
        let beta = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
        assert_eq!(
            discovery_format(Some(beta), true),
            Some(DiscoveryFormat::Aggregated("v2beta1"))
        );
        assert_eq!(
            discovery_format(Some("application/json"), true),
            Some(DiscoveryFormat::Legacy)
        );
    }
}
