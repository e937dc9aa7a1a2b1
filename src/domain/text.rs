//! Bounded, trimmed text and the field error that validation produces.

use serde::Serialize;

/// One invalid input field: a dotted path (`input.quantity.lower`) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path of the offending input field.
    pub field: String,
    /// Why it was rejected, for a person to read.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why text with a NUL character is refused: no text the service keeps may hold one
/// (PostgreSQL cannot store it, and an export must import anywhere).
pub const NUL_MESSAGE: &str = "must not contain NUL (U+0000) characters";

/// The dotted path of the first string (or member name) in a JSON `value` holding a NUL,
/// if any.
pub fn nul_path(value: &serde_json::Value, path: &str) -> Option<String> {
    let child = |name: &str| {
        if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(path.to_owned()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, &child(&i.to_string()))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(name, item)| {
            let path = child(name);
            if name.contains('\0') {
                Some(path)
            } else {
                nul_path(item, &path)
            }
        }),
        _ => None,
    }
}

/// Text trimmed of surrounding whitespace, non-empty and at most `max` characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundedText(String);

impl BoundedText {
    /// Parses `raw` for `field`, rejecting blank text and text over `max` characters.
    pub fn parse(field: &str, raw: &str, max: usize) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "must not be blank"));
        }
        if trimmed.contains('\0') {
            return Err(FieldError::new(field, NUL_MESSAGE));
        }
        let length = trimmed.chars().count();
        if length > max {
            return Err(FieldError::new(
                field,
                format!("must be at most {max} characters (got {length})"),
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Parses an optional value; blank text counts as absent.
    pub fn parse_optional(
        field: &str,
        raw: Option<&str>,
        max: usize,
    ) -> Result<Option<Self>, FieldError> {
        match raw {
            Some(text) if !text.trim().is_empty() => Self::parse(field, text, max).map(Some),
            _ => Ok(None),
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The characters `start..end` of `text` (spans count Unicode characters), if `text`
/// has that many.
pub fn char_slice(text: &str, start: usize, end: usize) -> Option<&str> {
    let mut indices = text.char_indices().map(|(i, _)| i).chain([text.len()]);
    let from = indices.nth(start)?;
    let to = if end == start {
        from
    } else {
        indices.nth(end - start - 1)?
    };
    Some(&text[from..to])
}

/// Whether two texts say the same once runs of whitespace (line breaks included) count
/// as one space and the ends are trimmed.
pub fn same_words(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// Where `excerpt` occurs in `body`, as a character span: its first exact occurrence,
/// else its first occurrence with runs of whitespace taken as one (an excerpt typed on
/// one line of a passage that breaks lines).
pub fn locate(body: &str, excerpt: &str) -> Option<(usize, usize)> {
    if let Some(byte) = body.find(excerpt) {
        let start = body[..byte].chars().count();
        return Some((start, start + excerpt.chars().count()));
    }
    let wanted: Vec<&str> = excerpt.split_whitespace().collect();
    if wanted.is_empty() {
        return None;
    }
    // The body's words with their character spans.
    let mut words: Vec<(&str, usize, usize)> = Vec::new();
    let mut word_start: Option<(usize, usize)> = None;
    for (position, (byte, c)) in body.char_indices().enumerate() {
        match (c.is_whitespace(), word_start) {
            (true, Some((from_byte, from))) => {
                words.push((&body[from_byte..byte], from, position));
                word_start = None;
            }
            (false, None) => word_start = Some((byte, position)),
            _ => {}
        }
    }
    if let Some((from_byte, from)) = word_start {
        words.push((&body[from_byte..], from, body.chars().count()));
    }
    let (first, last) = (wanted[0], wanted[wanted.len() - 1]);
    words.windows(wanted.len()).find_map(|window| {
        let inner_match = window.len() < 3
            || window[1..window.len() - 1]
                .iter()
                .map(|w| w.0)
                .eq(wanted[1..wanted.len() - 1].iter().copied());
        if window.len() == 1 {
            // One word: it may be part of a longer one ("war" in "warfare" is not it).
            return (window[0].0 == first).then_some((window[0].1, window[0].2));
        }
        // The first and last words may be parts of the body's words (an excerpt that
        // starts or ends inside a word, or at punctuation).
        let head = window[0].0.ends_with(first);
        let tail = window[window.len() - 1].0.starts_with(last);
        (inner_match && head && tail).then(|| {
            let start = window[0].2 - first.chars().count();
            let end = window[window.len() - 1].1 + last.chars().count();
            (start, end)
        })
    })
}

impl AsRef<str> for BoundedText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(BoundedText::parse("f", "  hi ", 5).unwrap().as_ref(), "hi");
        assert_eq!(
            BoundedText::parse("f", "   ", 5).unwrap_err().message,
            "must not be blank"
        );
        assert!(BoundedText::parse("f", "abcdef", 5).is_err());
        assert!(BoundedText::parse("f", "ééééé", 5).is_ok());
        assert!(BoundedText::parse("f", "a\0b", 5).is_err());
    }

    #[test]
    fn excerpts_are_located_by_characters_and_across_line_breaks() {
        assert_eq!(locate("“ab” cd", "cd"), Some((5, 7)));
        let body = "Hollande said:\n\"France is\n at war.\" Then he left.";
        let (start, end) = locate(body, "France is at war").unwrap();
        assert_eq!(char_slice(body, start, end), Some("France is\n at war"));
        assert!(same_words(
            char_slice(body, start, end).unwrap(),
            "France is at war"
        ));
        assert_eq!(locate(body, "France is at peace"), None);
        assert_eq!(locate("warfare", "war"), Some((0, 3)));
        assert_eq!(locate("a warfare b", "war fare"), None);
        assert_eq!(char_slice("éa", 1, 2), Some("a"));
        assert_eq!(char_slice("éa", 1, 3), None);
    }

    #[test]
    fn blank_optional_text_is_absent() {
        assert_eq!(BoundedText::parse_optional("f", Some("  "), 5), Ok(None));
        assert_eq!(BoundedText::parse_optional("f", None, 5), Ok(None));
    }
}

/// Collects every field error of a command, so a client learns all of them at once.
#[derive(Debug, Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    /// Keeps the value, or records the error and yields `None`.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    /// As `check`, for validations that report several fields.
    pub fn check_all<T>(&mut self, result: Result<T, Vec<FieldError>>) -> Option<T> {
        result.map_err(|e| self.0.extend(e)).ok()
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }
}

/// A BCP 47-style language tag ("en", "fr-FR", "zh-Hant"): letters, digits and hyphens,
/// 2 to 35 characters, starting with a letter; blank is none.
pub fn language_tag(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(tag) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let valid = (2..=35).contains(&tag.len())
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && tag.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if valid {
        Ok(Some(tag.to_owned()))
    } else {
        Err(FieldError::new(
            field,
            "must be a language tag such as 'en' or 'fr-FR'",
        ))
    }
}

/// `text` safe inside HTML text and quoted attribute values.
pub fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}
