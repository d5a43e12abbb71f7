//! Several accounts on one host: how a username becomes part of a stored credential's key
//! (git's `protocol://user@host[/path]`, the host store's `user@key`), which of a host's
//! credentials is the latest, and moving an entry stored before usernames were keys to its
//! new key inside the caller's transaction.

use crate::Result;
use crate::store::{BackendId, CredKey, Txn};

/// `username` as it goes before `@` in a key: `%`, `@`, `:`, `/`, `?`, `#`, whitespace and
/// control characters percent-encoded, so the first `@` of a key always ends the username
/// and two usernames never give one key.
pub(crate) fn encode_user(username: &str) -> String {
    let mut out = String::with_capacity(username.len());
    for c in username.chars() {
        if matches!(c, '%' | '@' | ':' | '/' | '?' | '#') || c.is_whitespace() || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The next store sequence number after every one in `seqs`.
pub(crate) fn next_seq(seqs: impl Iterator<Item = Option<u64>>) -> u64 {
    seqs.flatten().max().map_or(1, |m| m + 1)
}

/// Sorts entries latest first: by store sequence, entries from before sequences last.
pub(crate) fn latest_first<T>(entries: &mut [T], seq: impl Fn(&T) -> Option<u64>) {
    entries.sort_by_key(|e| std::cmp::Reverse(seq(e)));
}

/// Moves the value at `from` to `to` in the same backend: written to `to` and read back
/// (journalled, so a crash before the commit leaves the new entry to be swept), `from`
/// deleted once the index is committed without it. `false` when `from` holds nothing.
pub(crate) fn move_value(
    txn: &mut Txn<'_>,
    backend: BackendId,
    from: &CredKey,
    to: &CredKey,
) -> Result<bool> {
    let Some(value) = txn.store().read(backend, from)? else {
        return Ok(false);
    };
    txn.copy_to(backend, to, &value)?;
    txn.delete(backend, from)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_never_contain_the_separator_and_stay_distinct() {
        assert_eq!(encode_user("bob"), "bob");
        assert_eq!(encode_user("a@b.c"), "a%40b.c");
        assert_eq!(encode_user("a%40b.c"), "a%2540b.c");
        assert_eq!(encode_user("x y:z/\u{7f}"), "x%20y%3Az%2F%7F");
        assert_eq!(encode_user(""), "");
        assert_eq!(encode_user("zoë"), "zoë");
    }

    #[test]
    fn latest_first_puts_unsequenced_last() {
        let mut v = vec![None, Some(2), Some(7), None, Some(3)];
        latest_first(&mut v, |s| *s);
        assert_eq!(v, [Some(7), Some(3), Some(2), None, None]);
        assert_eq!(next_seq(v.into_iter()), 8);
        assert_eq!(next_seq(std::iter::empty()), 1);
    }
}
