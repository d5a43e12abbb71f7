//! What a verify answer says, read without trusting it: the identity and the expiry at the
//! service's JSON pointers, and the answer with every copy of the token redacted (an API may
//! echo the key back) before anything of it is shown or kept.

use serde_json::Value;

/// Where the identity is looked for when a service names no identity field.
pub const DEFAULT_IDENTITY_FIELDS: &[&str] = &[
    "/email",
    "/login",
    "/username",
    "/user/email",
    "/user/login",
    "/user/username",
];

/// The identity in an API answer: the service's JSON pointer, else the usual places.
pub fn identity_of(v: &Value, field: Option<&str>) -> Option<String> {
    let fields: Vec<&str> = match field {
        Some(f) => vec![f],
        None => DEFAULT_IDENTITY_FIELDS.to_vec(),
    };
    fields.into_iter().find_map(|p| {
        let s = match v.pointer(p)? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        // Shown in one-line messages and stored in the index: printable, bounded.
        let clean: String = s.chars().filter(|c| !c.is_control()).take(200).collect();
        (!clean.trim().is_empty()).then_some(clean)
    })
}

/// The expiry at a service's JSON pointer: Unix seconds, or a time as a string.
pub fn expiry_of(v: &Value, field: Option<&str>) -> Option<u64> {
    match v.pointer(field?)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => crate::core::expiry::parse_time(s),
        _ => None,
    }
}

/// Replaces every string that contains `token` (an API echoing the key back) with a marker.
pub(super) fn redact(v: &mut Value, token: &str) {
    if token.is_empty() {
        return;
    }
    match v {
        Value::String(s) if s.contains(token) => *s = "<redacted>".into(),
        Value::Array(a) => a.iter_mut().for_each(|x| redact(x, token)),
        Value::Object(o) => o.values_mut().for_each(|x| redact(x, token)),
        _ => {}
    }
}

/// `body` with every JSON string literal whose value holds `token` replaced by
/// `"<redacted>"`, all else byte for byte. A body that is not JSON is kept only if it does not
/// hold the token at all.
pub(super) fn redact_raw(body: &[u8], token: &str) -> Vec<u8> {
    if token.is_empty() {
        return body.to_vec();
    }
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'"' {
            out.push(body[i]);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < body.len() && body[j] != b'"' {
            j += if body[j] == b'\\' { 2 } else { 1 };
        }
        let end = (j + 1).min(body.len());
        let literal = &body[i..end];
        match serde_json::from_slice::<String>(literal) {
            Ok(s) if s.contains(token) => out.extend_from_slice(b"\"<redacted>\""),
            _ => out.extend_from_slice(literal),
        }
        i = end;
    }
    // Belt and braces: a copy outside any string literal (not JSON at all) is not shown.
    if String::from_utf8_lossy(&out).contains(token) {
        return b"<redacted>".to_vec();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_redaction_keeps_order_and_spacing() {
        let body = br#"{"z": 1, "token":"Bearer sk_x", "a" : ["sk_x", "ok\"q"], "b":"y"}"#;
        assert_eq!(
            String::from_utf8(redact_raw(body, "sk_x")).unwrap(),
            r#"{"z": 1, "token":"<redacted>", "a" : ["<redacted>", "ok\"q"], "b":"y"}"#
        );
        assert_eq!(redact_raw(b"plain sk_x", "sk_x"), b"<redacted>");
        assert_eq!(
            redact_raw(b"{\"u\":\"sk_\\u0078\"}", "sk_x"),
            b"{\"u\":\"<redacted>\"}"
        );
    }

    #[test]
    fn identity_from_pointer_or_defaults() {
        let v: Value = serde_json::json!({"user": {"login": "octo"}, "id": 7});
        assert_eq!(identity_of(&v, Some("/user/login")).as_deref(), Some("octo"));
        assert_eq!(identity_of(&v, Some("/id")).as_deref(), Some("7"));
        assert_eq!(identity_of(&v, Some("/email")), None);
        assert_eq!(identity_of(&v, None).as_deref(), Some("octo"));
        assert_eq!(identity_of(&Value::Null, None), None);
    }

    #[test]
    fn redacts_echoed_token() {
        let mut v = serde_json::json!({"key": "Bearer sk_x", "n": [{"k": "sk_x"}], "ok": "y"});
        redact(&mut v, "sk_x");
        assert_eq!(
            v,
            serde_json::json!({"key": "<redacted>", "n": [{"k": "<redacted>"}], "ok": "y"})
        );
    }
}
