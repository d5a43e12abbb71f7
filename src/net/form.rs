//! One form POST (`application/x-www-form-urlencoded`, the body every OAuth endpoint takes)
//! with a bounded answer: the status and the body bytes, or one line saying why no answer
//! came.

use std::time::Duration;

use reqwest::{Client, Url};
use zeroize::Zeroizing;

use crate::net::describe_failure;

/// Largest answer body read from an OAuth endpoint.
const MAX_ANSWER: usize = 256 * 1024;

/// What an endpoint answered.
pub(crate) struct FormAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The body, at most 256 KiB; wiped when dropped (it may hold tokens).
    pub body: Zeroizing<Vec<u8>>,
}

/// Posts `fields` to `url`; the error is one line (connection refused, timeout …).
pub(crate) async fn post_form(
    client: Client,
    url: Url,
    fields: Vec<(&'static str, Zeroizing<String>)>,
    timeout: Duration,
) -> Result<FormAnswer, String> {
    let mut body = Zeroizing::new(String::new());
    {
        let mut ser = form_urlencoded::Serializer::new(&mut *body);
        for (k, v) in &fields {
            ser.append_pair(k, v);
        }
    }
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(reqwest::header::ACCEPT, "application/json")
        .body(body.as_bytes().to_vec())
        .send()
        .await;
    let resp = sent.map_err(|e| describe_failure(&e, timeout))?;
    read_answer(resp, timeout).await
}

/// GETs `url` (discovery documents) with the same bounds as [`post_form`].
pub(crate) async fn get(client: Client, url: Url, timeout: Duration) -> Result<FormAnswer, String> {
    let sent = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await;
    let resp = sent.map_err(|e| describe_failure(&e, timeout))?;
    read_answer(resp, timeout).await
}

async fn read_answer(mut resp: reqwest::Response, timeout: Duration) -> Result<FormAnswer, String> {
    let status = resp.status().as_u16();
    let mut out = Zeroizing::new(Vec::new());
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) if out.len() + chunk.len() <= MAX_ANSWER => out.extend_from_slice(&chunk),
            Ok(Some(_)) => return Err(format!("the answer is larger than {} KiB", MAX_ANSWER / 1024)),
            Ok(None) => break,
            Err(e) => return Err(describe_failure(&e, timeout)),
        }
    }
    Ok(FormAnswer { status, body: out })
}
