//! Query parameters as the API server decodes them.

/// Decoded query parameters, in request order.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub(crate) fn parse(raw: &str) -> Self {
        Query {
            pairs: form_urlencoded::parse(raw.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// The first value of a parameter.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter: absent is `None`; present, it is false only when it spells false.
    pub(crate) fn flag(&self, name: &str) -> Option<bool> {
        self.get(name).map(truthy)
    }
}

/// How the API server reads a boolean query value: `false`, `0` and the like are false,
/// anything else (`true`, `1`) is true.
pub(crate) fn truthy(value: &str) -> bool {
    !matches!(
        value.to_ascii_lowercase().as_str(),
        "" | "0" | "f" | "false" | "n" | "no" | "off"
    )
}
