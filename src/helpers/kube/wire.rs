//! The exec credential wire format: the `apiVersion` kubectl names in `KUBERNETES_EXEC_INFO`
//! (answered in the same version, since kubectl rejects any other), and the
//! `ExecCredential` written back, with `expirationTimestamp` only for a token that really
//! expires later: a timestamp in the past makes kubectl run the plugin for every request.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::{Error, Result, Secret};

/// The environment variable kubectl passes the request in.
pub const EXEC_INFO_VAR: &str = "KUBERNETES_EXEC_INFO";

/// The API group of exec credentials.
const GROUP: &str = "client.authentication.k8s.io";

/// The exec credential versions keyward answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// `client.authentication.k8s.io/v1` (kubectl 1.24 and newer).
    V1,
    /// `client.authentication.k8s.io/v1beta1` (kubectl 1.11 and newer).
    V1beta1,
}

impl ApiVersion {
    /// The full `apiVersion` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "client.authentication.k8s.io/v1",
            ApiVersion::V1beta1 => "client.authentication.k8s.io/v1beta1",
        }
    }

    /// Parses a full `apiVersion` string; `None` for any other group or version.
    pub fn parse(s: &str) -> Option<ApiVersion> {
        match s.strip_prefix(GROUP)?.strip_prefix('/')? {
            "v1" => Some(ApiVersion::V1),
            "v1beta1" => Some(ApiVersion::V1beta1),
            _ => None,
        }
    }
}

/// What keyward reads of `KUBERNETES_EXEC_INFO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecInfo {
    /// The version to answer in.
    pub api_version: ApiVersion,
    /// `spec.interactive`: whether stdin is the user's terminal (absent from kubectl 1.20).
    pub interactive: Option<bool>,
}

#[derive(Deserialize)]
struct RawInfo {
    kind: Option<String>,
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default)]
    spec: RawSpec,
}

#[derive(Deserialize, Default)]
struct RawSpec {
    interactive: Option<bool>,
}

fn bad_info(what: &str) -> Error {
    Error::usage(
        format!("{EXEC_INFO_VAR} {what}"),
        "kubectl sets it when it runs the plugin; check the exec section of the kubeconfig user",
    )
}

/// Parses `KUBERNETES_EXEC_INFO`. Errors are one line and never quote the input (it can
/// carry the cluster's CA and settings).
pub fn parse_exec_info(bytes: &[u8]) -> Result<ExecInfo> {
    let raw: RawInfo =
        serde_json::from_slice(bytes).map_err(|_| bad_info("is not an ExecCredential JSON object"))?;
    if raw.kind.as_deref() != Some("ExecCredential") {
        return Err(bad_info("is not of kind ExecCredential"));
    }
    let Some(version) = raw.api_version else {
        return Err(bad_info("names no apiVersion"));
    };
    let api_version = ApiVersion::parse(&version).ok_or_else(|| {
        Error::usage(
            format!(
                "kubectl asks for an exec credential version keyward does not speak ({})",
                shown(&version)
            ),
            format!(
                "set apiVersion: {} (or {}) in the kubeconfig user's exec section",
                ApiVersion::V1.as_str(),
                ApiVersion::V1beta1.as_str()
            ),
        )
    })?;
    Ok(ExecInfo {
        api_version,
        interactive: raw.spec.interactive,
    })
}

/// A version string as shown in an error: short printable ASCII only, else a placeholder.
fn shown(version: &str) -> &str {
    let plain = version.len() <= 64 && version.bytes().all(|b| b.is_ascii_graphic());
    if plain { version } else { "an unreadable value" }
}

#[derive(Serialize)]
struct Credential<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    status: Status<'a>,
}

#[derive(Serialize)]
struct Status<'a> {
    token: &'a str,
    #[serde(rename = "expirationTimestamp", skip_serializing_if = "Option::is_none")]
    expiration_timestamp: Option<String>,
}

/// Writes the `ExecCredential` for `token` in `version` into `out` (one JSON line).
/// `expires` becomes `expirationTimestamp` only when it is after `now`; a token without
/// one is cached by kubectl until the server answers 401.
pub fn write_credential(
    version: ApiVersion,
    token: &Secret,
    expires: Option<SystemTime>,
    now: SystemTime,
    out: &mut Vec<u8>,
) -> Result<()> {
    let credential = Credential {
        api_version: version.as_str(),
        kind: "ExecCredential",
        status: Status {
            token: token.expose(),
            expiration_timestamp: expires
                .filter(|t| *t > now)
                .map(|t| humantime::format_rfc3339_seconds(t).to_string()),
        },
    };
    serde_json::to_writer(&mut *out, &credential)
        .map_err(|e| Error::Other(format!("cannot write the exec credential: {e}")))?;
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn versions_kubectl_sends() {
        let v1 = br#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"server":"https://127.0.0.1:18768","certificate-authority-data":"LS0t","config":{"audience":"my-aud"}},"interactive":false}}"#;
        assert_eq!(
            parse_exec_info(v1).unwrap(),
            ExecInfo {
                api_version: ApiVersion::V1,
                interactive: Some(false)
            }
        );
        let beta = br#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":true}}"#;
        assert_eq!(parse_exec_info(beta).unwrap().api_version, ApiVersion::V1beta1);
        // kubectl 1.20 sends an empty spec.
        let old =
            br#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}"#;
        assert_eq!(parse_exec_info(old).unwrap().interactive, None);
    }

    #[test]
    fn refusals_are_one_line_and_quote_nothing_unreadable() {
        for bad in [
            &b""[..],
            b"null",
            b"[]",
            br#"{"apiVersion":"client.authentication.k8s.io/v1"}"#,
            br#"{"kind":"ExecCredential"}"#,
            br#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1"}"#,
            br#"{"kind":"ExecCredential","apiVersion":"other.io/v1"}"#,
            br#"{"kind":"ExecCredential","apiVersion":"x\ny"}"#,
            br#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":"yes"}}"#,
        ] {
            let e = parse_exec_info(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(!e.to_string().contains('\n'), "{e}");
        }
        let e = parse_exec_info(
            br#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("v1alpha1"), "{e}");
    }

    #[test]
    fn credentials_carry_a_timestamp_only_when_it_is_ahead() {
        let now = UNIX_EPOCH + Duration::from_secs(1_751_929_368);
        let token = Secret::new("tok-k8s");
        let write = |v, expires| {
            let mut out = Vec::new();
            write_credential(v, &token, expires, now, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            write(ApiVersion::V1, None),
            "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-k8s\"}}\n"
        );
        assert_eq!(
            write(ApiVersion::V1beta1, Some(now + Duration::from_secs(60))),
            "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-k8s\",\"expirationTimestamp\":\"2025-07-07T23:03:48Z\"}}\n"
        );
        for past in [now, now - Duration::from_secs(1)] {
            assert!(!write(ApiVersion::V1, Some(past)).contains("expiration"));
        }
    }
}
