//! Profiles as a whole: their settings keys and aliases (`api-url`/`api_url`/`apiUrl`), the
//! active marker, and renaming or removing a profile together with its stored token.

mod keys;
mod lifecycle;
mod settings;

pub use keys::{MAX_SETTING_LEN, ProfileKey, check_value};
pub use lifecycle::{Renamed, not_found, remove, rename, set_active};
pub use settings::{set_setting, unset_key, unset_setting};
