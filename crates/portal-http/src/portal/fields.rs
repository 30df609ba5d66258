//! Reading URL-encoded fields (a query string, a form body) where a name
//! may repeat: `invoice=…&invoice=…`.

/// The fields of a query string or form body, in order.
#[derive(Debug, Default)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    pub(crate) fn parse(encoded: &[u8]) -> Self {
        Self(form_urlencoded::parse(encoded).into_owned().collect())
    }

    /// The first value of `name`, trimmed; `None` when missing or blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// Every value of `name`, in order.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.trim())
    }

    /// Whether a checkbox named `name` was ticked.
    pub(crate) fn ticked(&self, name: &str) -> bool {
        matches!(self.get(name), Some("1" | "on" | "true" | "yes"))
    }
}

#[cfg(test)]
mod tests {
    use super::Fields;

    #[test]
    fn repeated_names_keep_every_value() {
        let fields = Fields::parse(b"invoice=a&invoice=b&amount=+12.50+&save=on&token=");
        assert_eq!(fields.all("invoice").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(fields.get("amount"), Some("12.50"));
        assert_eq!(fields.get("token"), None);
        assert!(fields.ticked("save") && !fields.ticked("other"));
    }
}
