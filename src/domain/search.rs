//! Full-text search, the part that is the same on every database: how text becomes
//! search terms (words folded to lower case without accents, stemmed in the text's
//! language, numbers written one way), what a query means, and which words of a hit to
//! highlight. The databases index the terms and rank the matches (PostgreSQL `tsvector`
//! with a GIN index, SQLite FTS5); doing the analysis here means both find exactly the
//! same records for a query, in any language the stemmers know, and highlight the same
//! words.

use std::collections::HashSet;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

use super::{FieldError, string_enum};

string_enum! {
    /// What a search hit is.
    SearchKind {
        /// A claim, found by its text, quote, quantity, speaker or verdict summaries.
        Claim => "claim",
        /// An article, found by its title, outlet or body.
        Article => "article",
        /// A source (speaker or outlet), found by its name, aliases or description.
        Source => "source",
    }
}

/// A text's language for stemming: an ISO 639-1 code or a BCP 47 tag ("fr", "en-GB");
/// unknown or absent languages are stemmed as English.
pub fn stemmer_for(language: Option<&str>) -> Algorithm {
    let code = language
        .and_then(|l| l.split(['-', '_']).next())
        .map(str::to_ascii_lowercase);
    LANGUAGES
        .iter()
        .find(|(c, _)| Some(*c) == code.as_deref())
        .map_or(Algorithm::English, |(_, algorithm)| *algorithm)
}

/// The languages the service stems: a query's words are looked up in each of their
/// stemmed forms, so that a record matches in its own language whatever the reader's.
const LANGUAGES: &[(&str, Algorithm)] = &[
    ("en", Algorithm::English),
    ("fr", Algorithm::French),
    ("de", Algorithm::German),
    ("es", Algorithm::Spanish),
    ("it", Algorithm::Italian),
    ("pt", Algorithm::Portuguese),
    ("nl", Algorithm::Dutch),
];

/// The normalised language code stored with a document ("en" for unknown ones).
pub fn language_code(language: Option<&str>) -> &'static str {
    let algorithm = stemmer_for(language);
    LANGUAGES
        .iter()
        .find(|(_, a)| *a == algorithm)
        .map_or("en", |(code, _)| code)
}

/// A word of a text: where it is (byte offsets) and its search term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub term: String,
}

/// Lower case without accents or ligatures: "François" → "francois", "Straße" → "strasse".
pub fn fold(word: &str) -> String {
    let mut folded = String::with_capacity(word.len());
    for c in word.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        match c {
            'ß' => folded.push_str("ss"),
            'æ' | 'Æ' => folded.push_str("ae"),
            'œ' | 'Œ' => folded.push_str("oe"),
            'ø' | 'Ø' => folded.push('o'),
            'đ' | 'Đ' => folded.push('d'),
            'ł' | 'Ł' => folded.push('l'),
            'ı' => folded.push('i'),
            _ => folded.extend(c.to_lowercase()),
        }
    }
    folded
}

/// The words of `text` with their positions, unstemmed: runs of letters and digits; a
/// number keeps its separators ("1,500" is one word, written "1500"; "3.5" stays one).
pub fn words(text: &str) -> Vec<(usize, usize, String)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut words = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        let mut number = String::new();
        let mut numeric = true;
        while i < chars.len() {
            let c = chars[i].1;
            if c.is_alphanumeric() {
                numeric &= c.is_ascii_digit();
                number.push(c);
                i += 1;
            } else if numeric
                && (c == ',' || c == '.')
                && chars.get(i + 1).is_some_and(|(_, d)| d.is_ascii_digit())
            {
                // A thousands separator is a comma before exactly three digits; any other
                // comma or point between digits is a decimal point.
                let digits = chars[i + 1..]
                    .iter()
                    .take_while(|(_, d)| d.is_ascii_digit())
                    .count();
                if !(c == ',' && digits == 3) {
                    number.push('.');
                }
                i += 1;
            } else {
                break;
            }
        }
        let end = chars.get(i).map_or(text.len(), |(at, _)| *at);
        let word = if numeric {
            number
        } else {
            text[chars[start].0..end].to_owned()
        };
        words.push((chars[start].0, end, word));
    }
    words
}

/// The search term of one word in a language: stemmed, then folded.
fn term(stemmer: &Stemmer, word: &str) -> String {
    if word.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return word.to_owned();
    }
    fold(&stemmer.stem(&word.to_lowercase()))
}

/// The tokens of `text` in `language`.
pub fn tokens(text: &str, language: Option<&str>) -> Vec<Token> {
    let stemmer = Stemmer::create(stemmer_for(language));
    words(text)
        .into_iter()
        .map(|(start, end, word)| Token {
            start,
            end,
            term: term(&stemmer, &word),
        })
        .collect()
}

/// What the databases index for `text`: its terms, space-separated.
pub fn terms(text: &str, language: Option<&str>) -> String {
    let tokens = tokens(text, language);
    let mut terms = String::with_capacity(text.len());
    for token in tokens {
        if !terms.is_empty() {
            terms.push(' ');
        }
        terms.push_str(&token.term);
    }
    terms
}

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most words and phrases one query may hold.
pub const MAX_QUERY_ITEMS: usize = 24;

/// A word or a phrase of a query, as the words typed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Item(Vec<String>);

/// A parsed query, in the syntax of web search engines: words must all occur (in any
/// field, any form: "killed" finds "kill"), `"a phrase"` must occur as written, `OR`
/// between two items accepts either, and `-word` or `-"a phrase"` excludes records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// Every group must match; a group matches when any of its items does.
    all: Vec<Vec<Item>>,
    /// No record matching any of these is returned.
    none: Vec<Item>,
}

impl Query {
    /// Parses `raw`; a blank query, one with only exclusions, or one beyond the limits is
    /// refused with a reason naming `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        if raw.contains('\0') {
            return Err(FieldError::new(field, super::NUL_MESSAGE));
        }
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let mut all: Vec<Vec<Item>> = Vec::new();
        let mut none = Vec::new();
        let mut join_next = false;
        let mut rest = raw.trim_start();
        let mut items = 0;
        while !rest.is_empty() {
            let negated = rest.starts_with('-');
            if negated {
                rest = &rest[1..];
            }
            let (text, quoted, after) = if let Some(inner) = rest.strip_prefix('"') {
                match inner.find('"') {
                    Some(close) => (&inner[..close], true, &inner[close + 1..]),
                    None => (inner, true, ""),
                }
            } else {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (&rest[..end], false, &rest[end..])
            };
            rest = after.trim_start();
            if !quoted && !negated && text == "OR" {
                join_next = !all.is_empty();
                continue;
            }
            let words: Vec<String> = words(text).into_iter().map(|(_, _, w)| w).collect();
            if words.is_empty() {
                continue;
            }
            items += 1;
            if items > MAX_QUERY_ITEMS {
                return Err(FieldError::new(
                    field,
                    format!("may hold at most {MAX_QUERY_ITEMS} words and phrases"),
                ));
            }
            let item = Item(words);
            if negated {
                none.push(item);
            } else if join_next && let Some(group) = all.last_mut() {
                group.push(item);
            } else {
                all.push(vec![item]);
            }
            join_next = false;
        }
        if all.is_empty() {
            return Err(FieldError::new(
                field,
                "needs at least one word to look for (exclusions alone match nothing)",
            ));
        }
        Ok(Self { all, none })
    }

    /// A query for records holding any of `words` (none: `None`), at most
    /// `MAX_QUERY_ITEMS` of them.
    pub fn any_of(words: &[String]) -> Option<Self> {
        let group: Vec<Item> = words
            .iter()
            .take(MAX_QUERY_ITEMS)
            .map(|w| Item(vec![w.clone()]))
            .collect();
        (!group.is_empty()).then(|| Self {
            all: vec![group],
            none: Vec::new(),
        })
    }

    /// A query for records holding all of `words` (none: `None`).
    pub fn all_of(words: &[String]) -> Option<Self> {
        let all: Vec<Vec<Item>> = words
            .iter()
            .take(MAX_QUERY_ITEMS)
            .map(|w| vec![Item(vec![w.clone()])])
            .collect();
        (!all.is_empty()).then(|| Self {
            all,
            none: Vec::new(),
        })
    }

    /// The search terms an item stands for: its words' terms in each language (one
    /// list per distinct spelling).
    fn forms(item: &Item) -> Vec<Vec<String>> {
        let mut forms: Vec<Vec<String>> = Vec::new();
        for (_, algorithm) in LANGUAGES {
            let stemmer = Stemmer::create(*algorithm);
            let form: Vec<String> = item.0.iter().map(|w| term(&stemmer, w)).collect();
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
        forms
    }

    /// Every term a matching record may contain, for highlighting.
    pub fn highlight_terms(&self) -> HashSet<String> {
        self.all
            .iter()
            .flatten()
            .flat_map(Self::forms)
            .flatten()
            .collect()
    }

    /// The query as a PostgreSQL `tsquery` text over the indexed terms (for
    /// `to_tsquery('simple', …)`).
    pub fn to_tsquery(&self) -> String {
        let item = |item: &Item| {
            let forms: Vec<String> = Self::forms(item)
                .into_iter()
                .map(|form| {
                    let lexemes: Vec<String> = form.iter().map(|t| quote_lexeme(t)).collect();
                    format!("({})", lexemes.join(" <-> "))
                })
                .collect();
            format!("({})", forms.join(" | "))
        };
        let mut parts: Vec<String> = self
            .all
            .iter()
            .map(|group| {
                let items: Vec<String> = group.iter().map(item).collect();
                format!("({})", items.join(" | "))
            })
            .collect();
        parts.extend(self.none.iter().map(|n| format!("!{}", item(n))));
        parts.join(" & ")
    }

    /// The query as an SQLite FTS5 `MATCH` expression over the indexed terms.
    pub fn to_fts5(&self) -> String {
        let item = |item: &Item| {
            let forms: Vec<String> = Self::forms(item)
                .into_iter()
                .map(|form| format!("\"{}\"", form.join(" ")))
                .collect();
            format!("({})", forms.join(" OR "))
        };
        let groups: Vec<String> = self
            .all
            .iter()
            .map(|group| {
                let items: Vec<String> = group.iter().map(item).collect();
                format!("({})", items.join(" OR "))
            })
            .collect();
        let mut expression = format!("({})", groups.join(" AND "));
        if !self.none.is_empty() {
            let excluded: Vec<String> = self.none.iter().map(item).collect();
            expression = format!("{expression} NOT ({})", excluded.join(" OR "));
        }
        expression
    }
}

/// A lexeme of a `tsquery` text, quoted (terms hold no quotes, but a quote is doubled in
/// case one ever does).
fn quote_lexeme(term: &str) -> String {
    format!("'{}'", term.replace('\'', "''"))
}

/// A run of a snippet's text, highlighted when it is a word the query looked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    pub text: String,
    pub highlighted: bool,
}

/// Characters of context a snippet shows around its matches.
const SNIPPET_CHARS: usize = 220;

/// The passage of `text` that best shows why it matched (the window holding the most
/// matching words), cut into plain and highlighted fragments, with "…" where text was
/// left out; `None` when no word of `text` matches.
pub fn snippet(
    text: &str,
    language: Option<&str>,
    wanted: &HashSet<String>,
) -> Option<Vec<Fragment>> {
    let matched: Vec<Token> = tokens(text, language)
        .into_iter()
        .filter(|t| wanted.contains(&t.term))
        .collect();
    if matched.is_empty() {
        return None;
    }
    // The window (in bytes, sized in characters) starting at a match that holds most
    // matches; earlier windows win ties.
    let window_end = |start: usize| {
        text[start..]
            .char_indices()
            .nth(SNIPPET_CHARS)
            .map_or(text.len(), |(at, _)| start + at)
    };
    let (best, _) = matched
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let end = window_end(t.start);
            (i, matched[i..].iter().filter(|m| m.end <= end).count())
        })
        .fold(
            (0, 0),
            |(bi, bn), (i, n)| if n > bn { (i, n) } else { (bi, bn) },
        );
    // A little context before the first match, from a word's start.
    let lead = 40;
    let first = matched[best].start;
    let mut start = text[..first]
        .char_indices()
        .rev()
        .nth(lead.min(text[..first].chars().count().saturating_sub(1)))
        .map_or(0, |(at, _)| at);
    if text.chars().count() <= SNIPPET_CHARS {
        start = 0;
    } else if start > 0 {
        // Move to the start of the next word, not into the middle of one.
        start = text[start..]
            .char_indices()
            .find(|(_, c)| c.is_whitespace())
            .map_or(first, |(at, _)| (start + at + 1).min(first));
    }
    let mut end = window_end(start);
    if end < text.len() {
        end = text[..end]
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(end, |(at, _)| at.max(first + 1));
        while !text.is_char_boundary(end) {
            end += 1;
        }
    }
    let mut fragments = Vec::new();
    let mut plain = String::new();
    if start > 0 {
        plain.push('…');
    }
    let mut at = start;
    for token in matched.iter().filter(|t| t.start >= start && t.end <= end) {
        plain.push_str(&text[at..token.start]);
        if !plain.is_empty() {
            fragments.push(Fragment {
                text: std::mem::take(&mut plain),
                highlighted: false,
            });
        }
        fragments.push(Fragment {
            text: text[token.start..token.end].to_owned(),
            highlighted: true,
        });
        at = token.end;
    }
    plain.push_str(&text[at..end]);
    if end < text.len() {
        plain.push('…');
    }
    if !plain.is_empty() {
        fragments.push(Fragment {
            text: plain,
            highlighted: false,
        });
    }
    Some(fragments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_accents_and_ligatures() {
        assert_eq!(fold("François"), "francois");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("ŒUVRE"), "oeuvre");
        assert_eq!(fold("Łódź"), "lodz");
    }

    #[test]
    fn numbers_are_written_one_way() {
        let found: Vec<String> = words("1,500 people, 3.5% and 2,5 km in 2026.")
            .into_iter()
            .map(|(_, _, w)| w)
            .collect();
        assert_eq!(
            found,
            ["1500", "people", "3.5", "and", "2.5", "km", "in", "2026"]
        );
    }

    #[test]
    fn terms_are_stemmed_in_the_texts_language() {
        assert_eq!(
            terms("Attackers killed 129 people", None),
            "attack kill 129 peopl"
        );
        assert_eq!(
            terms("Les élections présidentielles", Some("fr")),
            "le elect presidentiel"
        );
        assert_eq!(stemmer_for(Some("fr-FR")), Algorithm::French);
        assert_eq!(language_code(Some("xx")), "en");
    }

    #[test]
    fn queries_follow_web_search_syntax() {
        let query = Query::parse("q", r#"killed "Bataclan attack" OR stade -football"#).unwrap();
        assert_eq!(query.all.len(), 2);
        assert_eq!(query.all[1].len(), 2);
        assert_eq!(query.none.len(), 1);
        let fts = query.to_fts5();
        assert!(fts.contains("\"kill\""), "{fts}");
        assert!(fts.contains("\"bataclan attack\""), "{fts}");
        assert!(fts.contains(" NOT "), "{fts}");
        let tsquery = query.to_tsquery();
        assert!(tsquery.contains("('bataclan' <-> 'attack')"), "{tsquery}");
        assert!(tsquery.contains("& !"), "{tsquery}");
    }

    #[test]
    fn queries_without_words_are_refused() {
        for raw in ["", "   ", "-war", "\"\"", "!!!", "OR"] {
            assert!(Query::parse("q", raw).is_err(), "{raw:?}");
        }
        let long = "a ".repeat(30);
        assert!(Query::parse("q", &long).is_err());
    }

    #[test]
    fn keywords_of_the_engines_are_plain_words() {
        // FTS5 and tsquery operators inside words or phrases are searched for, never run.
        let query = Query::parse("q", r#"NEAR AND NOT "a OR b" x*y (z) 'w' !v :c"#).unwrap();
        let fts = query.to_fts5();
        assert!(!fts.contains('*') && !fts.contains(':'), "{fts}");
        let tsquery = query.to_tsquery();
        assert!(!tsquery.contains(":*"), "{tsquery}");
    }

    #[test]
    fn snippets_highlight_the_matching_words_in_their_context() {
        let query = Query::parse("q", "francois killed").unwrap();
        let wanted = query.highlight_terms();
        let fragments = snippet(
            "President François Hollande said 129 were killed.",
            None,
            &wanted,
        )
        .unwrap();
        let marked: Vec<&str> = fragments
            .iter()
            .filter(|f| f.highlighted)
            .map(|f| f.text.as_str())
            .collect();
        assert_eq!(marked, ["François", "killed"]);
        let text: String = fragments.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(text, "President François Hollande said 129 were killed.");
        let long = format!(
            "{} the toll: 129 killed. {}",
            "word ".repeat(100),
            "more ".repeat(100)
        );
        let fragments = snippet(&long, None, &wanted).unwrap();
        let text: String = fragments.iter().map(|f| f.text.as_str()).collect();
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert!(text.contains("129 killed"), "{text}");
        assert!(text.chars().count() < 260, "{text}");
        assert!(snippet("nothing here", None, &wanted).is_none());
    }
}
