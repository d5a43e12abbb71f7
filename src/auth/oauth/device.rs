//! Device login (RFC 8628): the code is shown (and its page opened when a browser is
//! available), then one poller asks the token endpoint, waiting one interval before each
//! poll, slowing down when told, and stopping at the first answer that is not "pending". A
//! device code is never redeemed twice: that would revoke what it produced.

use std::time::{Duration, Instant};

use crate::auth::oauth::client::{OAuthClient, TokenAnswer, Tokens};
use crate::auth::oauth::endpoints::Endpoints;
use crate::auth::oauth::{Flow, Say, browser, refused};
use crate::core::oauth::OAuthSettings;
use crate::{Error, Result};

/// The interval RFC 8628 prescribes when the server names none.
const DEFAULT_INTERVAL: u64 = 5;
/// What `slow_down` adds (RFC 8628 §3.5).
const SLOW_DOWN_STEP: u64 = 5;

/// Runs a device login to the tokens.
pub(crate) fn login(
    client: &mut OAuthClient,
    ep: &Endpoints,
    settings: &OAuthSettings,
    flow: &Flow<'_>,
) -> Result<Tokens> {
    let url = ep.device_authorization.clone().ok_or_else(|| {
        Error::usage(
            "the authorization server has no device authorization endpoint, so there is no device login",
            format!(
                "use the browser login: `{}`",
                flow.login_cmd.replace("login", "login --web")
            ),
        )
    })?;
    let start = client.device_start(&url, &settings.scope())?;
    (flow.say)(Say::DeviceCode {
        user_code: &start.user_code,
        uri: &start.verification_uri,
    });
    if flow.open_browser {
        let page = start
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&start.verification_uri);
        if let Err(reason) = browser::open(flow.env, page) {
            (flow.say)(Say::NoBrowser { reason: &reason });
        }
    }
    let deadline = Instant::now() + Duration::from_secs(start.expires_in.max(1));
    let mut interval = start.interval.unwrap_or(DEFAULT_INTERVAL).max(1);
    let expired = || {
        refused(
            "the one-time code expired before the login was approved",
            &flow.login_cmd,
        )
    };
    loop {
        flow.stop.sleep(Duration::from_secs(interval))?;
        if Instant::now() >= deadline {
            return Err(expired());
        }
        match client.device_poll(&ep.token, &start.device_code)? {
            TokenAnswer::Issued(t) => return Ok(t),
            TokenAnswer::Refused {
                error,
                interval: hint,
            } => match error.as_str() {
                "authorization_pending" => {}
                "slow_down" => interval = (interval + SLOW_DOWN_STEP).max(hint.unwrap_or(0)),
                "access_denied" => {
                    return Err(refused("the login was denied (access_denied)", &flow.login_cmd));
                }
                "expired_token" | "invalid_grant" => return Err(expired()),
                other => {
                    return Err(refused(
                        &format!("the authorization server refused the device login ({other})"),
                        &flow.login_cmd,
                    ));
                }
            },
        }
    }
}
