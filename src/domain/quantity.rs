//! The figure a quantity claim states, with its invariants.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{BoundedText, FieldError};

/// A figure as the text gave it: what is counted (`measure`) of what (`subject`), an exact
/// value and/or bounds, a unit, whether it was hedged, and the moment it refers to.
///
/// Invariants: at least one of value/lower/upper; `lower ≤ value ≤ upper` for those given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantity {
    pub subject: Option<String>,
    pub measure: String,
    pub value: Option<Decimal>,
    pub lower: Option<Decimal>,
    pub upper: Option<Decimal>,
    pub unit: Option<String>,
    pub approximate: bool,
    pub as_of: Option<DateTime<Utc>>,
}

/// Raw quantity fields before validation (decimals as text, exactly as sent).
#[derive(Clone, Debug, Default)]
pub struct RawQuantity {
    pub subject: Option<String>,
    pub measure: Option<String>,
    pub value: Option<String>,
    pub lower: Option<String>,
    pub upper: Option<String>,
    pub unit: Option<String>,
    pub approximate: bool,
    pub as_of: Option<DateTime<Utc>>,
}

/// Parses an exact decimal; floats never enter the system.
pub fn parse_decimal(field: &str, raw: &str) -> Result<Decimal, FieldError> {
    let trimmed = raw.trim();
    // Scientific notation is accepted for convenience ("1.5e6"); both are exact.
    let parsed = if trimmed.contains(['e', 'E']) {
        Decimal::from_scientific(trimmed)
    } else {
        trimmed.parse::<Decimal>()
    };
    parsed
        .map(|d| d.normalize())
        .map_err(|_| FieldError::new(field, format!("'{trimmed}' is not a decimal number")))
}

impl Quantity {
    /// Validates raw fields; `prefix` is the input path (`input.quantity`) used in errors.
    pub fn parse(prefix: &str, raw: RawQuantity) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let path = |name: &str| format!("{prefix}.{name}");
        let mut decimal = |name: &str, raw: &Option<String>| match raw.as_deref() {
            Some(text) if !text.trim().is_empty() => match parse_decimal(&path(name), text) {
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            _ => None,
        };
        let value = decimal("value", &raw.value);
        let lower = decimal("lower", &raw.lower);
        let upper = decimal("upper", &raw.upper);

        let measure = match raw.measure.as_deref() {
            None => {
                errors.push(FieldError::new(path("measure"), "is required"));
                None
            }
            Some(text) => BoundedText::parse(&path("measure"), text, 200)
                .map_err(|e| errors.push(e))
                .ok(),
        };
        let subject = BoundedText::parse_optional(&path("subject"), raw.subject.as_deref(), 300)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let unit = BoundedText::parse_optional(&path("unit"), raw.unit.as_deref(), 64)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();

        let present = |raw: &Option<String>| raw.as_deref().is_some_and(|t| !t.trim().is_empty());
        if !present(&raw.value) && !present(&raw.lower) && !present(&raw.upper) {
            errors.push(FieldError::new(
                path("value"),
                "a quantity needs a value, a lower bound or an upper bound",
            ));
        }
        if let (Some(lo), Some(hi)) = (lower, upper)
            && lo > hi
        {
            errors.push(FieldError::new(
                path("lower"),
                format!("lower bound {lo} is greater than upper bound {hi}"),
            ));
        }
        if let (Some(v), Some(lo)) = (value, lower)
            && v < lo
        {
            errors.push(FieldError::new(
                path("value"),
                format!("value {v} is below the lower bound {lo}"),
            ));
        }
        if let (Some(v), Some(hi)) = (value, upper)
            && v > hi
        {
            errors.push(FieldError::new(
                path("value"),
                format!("value {v} is above the upper bound {hi}"),
            ));
        }
        match measure {
            Some(measure) if errors.is_empty() => Ok(Quantity {
                subject: subject.map(BoundedText::into_inner),
                measure: measure.into_inner(),
                value,
                lower,
                upper,
                unit: unit.map(BoundedText::into_inner),
                approximate: raw.approximate,
                as_of: raw.as_of,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(value: Option<&str>, lower: Option<&str>, upper: Option<&str>) -> RawQuantity {
        RawQuantity {
            measure: Some("deaths".into()),
            value: value.map(Into::into),
            lower: lower.map(Into::into),
            upper: upper.map(Into::into),
            ..RawQuantity::default()
        }
    }

    #[test]
    fn a_value_within_its_bounds_is_accepted_exactly() {
        let q = Quantity::parse("q", raw(Some("129"), Some("100"), Some("130.5"))).unwrap();
        assert_eq!(q.value, Some(Decimal::from(129)));
        assert_eq!(q.upper.unwrap().to_string(), "130.5");
    }

    #[test]
    fn a_lower_bound_alone_is_a_quantity() {
        // "for more than a year": lower = 1, unit = year
        let q = Quantity::parse("q", raw(None, Some("1"), None)).unwrap();
        assert_eq!(q.lower, Some(Decimal::ONE));
        assert_eq!(q.value, None);
    }

    #[test]
    fn decimals_keep_every_digit() {
        let q =
            Quantity::parse("q", raw(Some("0.1000000000000000000000000001"), None, None)).unwrap();
        assert_eq!(
            q.value.unwrap().to_string(),
            "0.1000000000000000000000000001"
        );
        let big = Quantity::parse("q", raw(Some("1.5e6"), None, None)).unwrap();
        assert_eq!(big.value.unwrap().to_string(), "1500000");
    }

    #[test]
    fn bounds_out_of_order_or_value_outside_them_are_rejected_with_the_field() {
        let cases = [
            (raw(None, Some("5"), Some("4")), "q.lower"),
            (raw(Some("3"), Some("4"), None), "q.value"),
            (raw(Some("9"), None, Some("4")), "q.value"),
            (raw(Some("abc"), None, None), "q.value"),
            (raw(None, None, None), "q.value"),
        ];
        for (input, field) in cases {
            let errors = Quantity::parse("q", input).unwrap_err();
            assert!(errors.iter().any(|e| e.field == field), "{errors:?}");
        }
    }

    #[test]
    fn a_measure_is_required() {
        let mut input = raw(Some("1"), None, None);
        input.measure = None;
        let errors = Quantity::parse("q", input).unwrap_err();
        assert_eq!(errors[0].field, "q.measure");
    }
}
