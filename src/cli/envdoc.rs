//! The environment variables keyward reads, written once for the help's "Environment:"
//! blocks and the man pages' ENVIRONMENT sections (both renamed for an embedding app).

/// Every variable, with what it does; `<SERVICE>` is the service's name in capitals.
pub(crate) const VARS: &[(&str, &str)] = &[
    (
        "KEYWARD_HOME",
        "Where index.json and the file backend live (~/.config/keyward)",
    ),
    ("KEYWARD_SERVICE", "The service when -s is not given"),
    ("KEYWARD_PROFILE", "The profile when -p is not given"),
    (
        "KEYWARD_BACKEND",
        "Where new values are stored: auto, keyring or file",
    ),
    (
        "<SERVICE>_API_TOKEN",
        "A token that wins over the stored one (TRUTO_API_TOKEN for truto)",
    ),
    (
        "KEYWARD_TOKEN",
        "A token for any service, after <SERVICE>_API_TOKEN",
    ),
    (
        "<SERVICE>_API_URL",
        "The API URL, over the profile's (then KEYWARD_API_URL)",
    ),
    (
        "KEYWARD_KEYRING_TIMEOUT",
        "Seconds a keyring call may take before it fails (exit 6)",
    ),
    (
        "KEYWARD_HTTP_TIMEOUT",
        "Seconds an API request may take in total (default 30)",
    ),
    (
        "HTTPS_PROXY, HTTP_PROXY, NO_PROXY",
        "Proxy for API requests, and hosts that bypass it",
    ),
    ("KEYWARD_EXEC", "Set to 1 by `exec` in the program it runs"),
    ("KEYWARD_MASK", "1: `exec` masks the values it passes (as --mask)"),
    (
        "VAULT_TOKEN, BAO_TOKEN",
        "A Vault/OpenBao token for shared values, over `vault login`'s",
    ),
    (
        "KEYWARD_COMPLETE",
        "Set by the completion scripts: complete instead of running",
    ),
    (
        "NO_COLOR, CLICOLOR_FORCE",
        "No colour; colour even when not on a terminal",
    ),
    ("BROWSER", "The browser an OAuth login opens"),
];

/// The variables a command's help names: `names` picks from [`VARS`].
pub(crate) fn block(names: &[&str]) -> String {
    // Names longer than the column get their text on the next line, as clap lays out flags.
    const WIDTH: usize = 24;
    let mut s = String::from("Environment:\n");
    for (name, what) in VARS.iter().filter(|(n, _)| names.is_empty() || names.contains(n)) {
        if name.len() > WIDTH {
            s.push_str(&format!("  {name}\n  {:WIDTH$}  {what}\n", ""));
        } else {
            s.push_str(&format!("  {name:WIDTH$}  {what}\n"));
        }
    }
    s.pop();
    s
}
