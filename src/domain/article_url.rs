//! Canonical article URLs: the form uniqueness is checked on.

use url::Url;

use super::FieldError;

/// An absolute http(s) URL in canonical form: lower-case host, no fragment, no default
/// port, no tracking parameters (`utm_*`, `fbclid`, `gclid`), remaining query kept in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArticleUrl(String);

const TRACKING_PARAMS: &[&str] = &["fbclid", "gclid", "mc_cid", "mc_eid", "ocid"];

impl ArticleUrl {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let mut url = Url::parse(raw.trim())
            .map_err(|e| FieldError::new(field, format!("is not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FieldError::new(field, "must be an http or https URL"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(FieldError::new(field, "must have a host"));
        }
        if raw.len() > 2048 {
            return Err(FieldError::new(field, "must be at most 2048 characters"));
        }
        url.set_fragment(None);
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(key, _)| !key.starts_with("utm_") && !TRACKING_PARAMS.contains(&key.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        Ok(Self(url.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_spellings_have_one_canonical_form() {
        let a =
            ArticleUrl::parse("url", "HTTPS://News.Example:443/a?utm_source=x&id=7#top").unwrap();
        let b = ArticleUrl::parse("url", "https://news.example/a?id=7").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "https://news.example/a?id=7");
    }

    #[test]
    fn non_web_or_relative_urls_are_rejected() {
        assert!(ArticleUrl::parse("url", "ftp://news.example/a").is_err());
        assert!(ArticleUrl::parse("url", "/relative/path").is_err());
        assert!(ArticleUrl::parse("url", "not a url").is_err());
    }
}
