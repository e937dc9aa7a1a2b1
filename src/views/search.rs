use async_graphql::{Enum, SimpleObject};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::search::SearchKind;
use crate::service::search::{Field, Hit};

/// Which text of a record a snippet comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Enum, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SnippetField {
    /// The record's own words: a claim's text (and quote), an article's title, a
    /// source's name.
    Title,
    /// What identifies it: a claim's speaker, subject and measure; an article's outlet;
    /// a source's aliases.
    Detail,
    /// The longer texts about it: a claim's standing verdict summaries, an article's
    /// body, a source's description.
    Body,
}

impl From<Field> for SnippetField {
    fn from(field: Field) -> Self {
        match field {
            Field::Title => Self::Title,
            Field::Detail => Self::Detail,
            Field::Body => Self::Body,
        }
    }
}

/// A run of a snippet's text.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct SnippetFragment {
    /// The text, as written in the record ("…" where text was left out).
    pub text: String,
    /// Whether it is a word the search looked for.
    pub highlighted: bool,
}

/// The passage of one of a hit's texts that shows why it matched.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct Snippet {
    /// Which text it comes from.
    pub field: SnippetField,
    /// The passage in runs, highlighted where it matched.
    pub fragments: Vec<SnippetFragment>,
    /// The passage as HTML: the text escaped, matches in `<mark>` elements.
    pub html: String,
}

impl From<crate::service::search::Snippet> for Snippet {
    fn from(s: crate::service::search::Snippet) -> Self {
        let mut html = String::new();
        for fragment in &s.fragments {
            let escaped = crate::domain::html_escape(&fragment.text);
            if fragment.highlighted {
                html.push_str("<mark>");
                html.push_str(&escaped);
                html.push_str("</mark>");
            } else {
                html.push_str(&escaped);
            }
        }
        Self {
            field: s.field.into(),
            fragments: s
                .fragments
                .into_iter()
                .map(|f| SnippetFragment {
                    text: f.text,
                    highlighted: f.highlighted,
                })
                .collect(),
            html,
        }
    }
}

/// A record a search found (REST): what it is, how well it matched and why; fetch it
/// whole at `href`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    /// What kind of record it is.
    pub kind: SearchKind,
    /// Its id.
    pub id: Uuid,
    /// Its path in this API.
    pub href: String,
    /// Its own words: a claim's text, an article's title, a source's name.
    pub title: String,
    /// Relevance: higher is better; comparable within one search only.
    pub score: f64,
    /// The passages that matched, title first.
    pub snippets: Vec<Snippet>,
}

impl From<Hit> for SearchHit {
    fn from(hit: Hit) -> Self {
        let collection = match hit.kind {
            SearchKind::Claim => "claims",
            SearchKind::Article => "articles",
            SearchKind::Source => "sources",
        };
        Self {
            kind: hit.kind,
            id: hit.id,
            href: format!("/api/v1/{collection}/{}", hit.id),
            title: hit.title,
            score: hit.score,
            snippets: hit.snippets.into_iter().map(Into::into).collect(),
        }
    }
}
