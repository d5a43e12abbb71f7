//! The error report: `✗ message` and its hint, or the JSON error object.

use super::{Printer, StreamName};
use crate::cli::output::Format;
use crate::{App, Error};

impl Printer {
    /// An error: `✗ message` and the hint under it, or `{"error":{…}}` with `-o json`.
    pub fn error(&self, app: &App, e: &Error, format: Format) {
        self.report(&e.to_string(), e.kind().as_str(), e.hint(app).as_deref(), format);
    }

    /// An error that is not an [`Error`] (clap's usage errors) as the JSON error object.
    pub fn error_json(&self, message: &str, kind: &str, hint: Option<&str>) {
        self.report(message, kind, hint, Format::Json);
    }

    pub(super) fn report(&self, message: &str, kind: &str, hint: Option<&str>, format: Format) {
        let report = crate::cli::output::error_report(&self.inner.style, message, kind, hint, format);
        self.write(StreamName::Stderr, report.as_bytes(), format == Format::Text);
    }
}
