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
