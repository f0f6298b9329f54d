//! A kubeconfig that points a client (kubectl, kube-rs) at the server with its bearer token.

/// The kubeconfig text: one cluster (trusting `ca_pem` when served over TLS), user and context, all named `context`, with the current
/// context set and the namespace `default`.
pub(crate) fn render(server_url: &str, ca_pem: Option<&str>, token: &str, context: &str) -> String {
    // Quoted scalars: names and tokens are written as YAML double-quoted strings, so nothing
    // in them can change the document's structure.
    let q = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: {server}{ca}
users:
- name: {name}
  user:
    token: {token}
contexts:
- name: {name}
  context:
    cluster: {name}
    user: {name}
    namespace: default
current-context: {name}
preferences: {{}}
",
        name = q(context),
        server = q(server_url),
        token = q(token),
        ca = ca_pem
            .map(|pem| format!(
                "\n    certificate-authority-data: {}",
                crate::base64::encode_standard(pem.as_bytes())
            ))
            .unwrap_or_default(),
    )
}
