//! What a JSON text parses into: one [`Value`] tree, its members in the
//! order they were written.

use super::Number;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, kept as written.
    Number(Number),
    /// A string with its escapes decoded.
    String(String),
    /// An array's elements in order.
    Array(Vec<Value>),
    /// An object's members in the order they were written; no key repeats.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// Returns the member named `key` if `self` is an object that has one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => {
                members.iter().find(|(name, _)| name == key).map(|(_, value)| value)
            }
            _ => None,
        }
    }

    /// Names the kind of value, for messages like "expected a number, found a string".
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn number(lexeme: &str) -> Value {
        Value::Number(Number::from_lexeme(lexeme.to_string()))
    }

    fn string(text: &str) -> Value {
        Value::String(text.to_string())
    }

    #[test]
    fn the_counter_reply_yields_its_fields() {
        let reply = br#"{"launched": "2020-11-04T17:57:42.448578", "requests": 2}"#;
        let value = parse(reply).unwrap();
        assert_eq!(value.get("launched"), Some(&string("2020-11-04T17:57:42.448578")));
        let Some(Value::Number(requests)) = value.get("requests") else { panic!("no requests") };
        assert_eq!(requests.as_u64(), Ok(2));
        assert_eq!(value.get("missing"), None);
        assert_eq!(number("2").get("requests"), None);
    }

    #[test]
    fn kinds_are_named_as_rfc_8259_names_them() {
        assert_eq!(Value::Null.kind(), "null");
        assert_eq!(Value::Bool(true).kind(), "boolean");
        assert_eq!(number("1").kind(), "number");
        assert_eq!(string("").kind(), "string");
        assert_eq!(Value::Array(Vec::new()).kind(), "array");
        assert_eq!(Value::Object(Vec::new()).kind(), "object");
    }
}
