use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use serde::Serialize;

/// An exact decimal number, written as a string ("129", "0.25", "1.5e6" on input).
/// Never a binary float: every digit sent is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Decimal(#[serde(with = "rust_decimal::serde::str")] pub rust_decimal::Decimal);

/// An exact decimal number, written as a string ("129", "0.25"). Never a binary float:
/// every digit sent is kept. JSON numbers are accepted as written.
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        let text = match &value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        crate::domain::quantity::parse_decimal("value", &text)
            .map(Decimal)
            .map_err(|e| InputValueError::custom(e.message))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// Accepts a string ("129.5") or a JSON number, as written, and keeps every digit.
impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "expected a decimal as a string or number, got {other}"
                )));
            }
        };
        crate::domain::quantity::parse_decimal("value", &text)
            .map(Decimal)
            .map_err(|e| serde::de::Error::custom(e.message))
    }
}
