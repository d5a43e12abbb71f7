//! The helper names' pages (`git-credential-keyward.1`, …), made from the text each helper
//! prints for `--help` so the page and the program say the same.

use roff::{Roff, bold, roman};

use super::text;
use crate::App;
use crate::cli::helper::HELPERS;
use crate::cli::naming;

/// `(program, page)` for every helper name.
pub(super) fn pages(app: &App) -> Vec<(String, Vec<u8>)> {
    HELPERS
        .iter()
        .map(|h| {
            let program = h.program(app);
            let page = page(app, &program, &(h.help)(app, &program));
            (program, page)
        })
        .collect()
}

fn page(app: &App, program: &str, help: &str) -> Vec<u8> {
    let mut paras = help.split("\n\n").map(str::trim_end);
    let first = paras.next().unwrap_or_default();
    let what = first.split_once(": ").map_or(first, |(_, w)| w);
    let mut roff = Roff::new();
    let version = format!("{} {}", naming::program_name(app), env!("CARGO_PKG_VERSION"));
    roff.control(
        "TH",
        [
            program.to_uppercase().as_str(),
            "1",
            "",
            version.as_str(),
            "User Commands",
        ],
    );
    roff.control("SH", ["NAME"]);
    roff.text([roman(format!("{program} - {what}"))]);
    let (mut usage, mut description, mut examples) = (String::new(), Vec::new(), Vec::new());
    for p in paras {
        if let Some(u) = p.strip_prefix("Usage: ") {
            usage = u.trim().to_string();
        } else if let Some(e) = p.strip_prefix("Examples:") {
            examples.extend(e.lines().filter(|l| !l.trim().is_empty()));
        } else {
            description.push(p);
        }
    }
    roff.control("SH", ["SYNOPSIS"]);
    let args = usage.strip_prefix(program).unwrap_or(&usage).trim().to_string();
    roff.text([bold(program), roman(format!(" {args}"))]);
    roff.control("SH", ["DESCRIPTION"]);
    roff.text([roman(format!(
        "{program} is {name} under another name: a link to the one {name} binary, which speaks \
         this client's helper protocol when started as {program}.",
        name = app.name
    ))]);
    for p in description {
        roff.control("PP", []);
        text::mixed(&mut roff, p);
    }
    roff.control("SH", ["OPTIONS"]);
    roff.control("TP", []);
    roff.text([bold("-h, --help")]);
    roff.text([roman("Print the help (the text of this page) and exit.")]);
    roff.control("PP", []);
    roff.text([roman(format!(
        "The words in SYNOPSIS are the client's protocol; the client writes the request on \
         stdin and reads the answer on stdout. {name}'s global options are described in {name}(1).",
        name = app.name
    ))]);
    roff.control("SH", ["EXAMPLES"]);
    text::preformatted(&mut roff, examples.into_iter());
    super::exit_status(
        &mut roff,
        &[format!(
            "As the client's protocol says: a credential that is not there is answered as the \
         client expects (for git: no output and exit 0; for docker: its not-found text and \
         exit 1). Otherwise {name}'s codes:",
            name = app.name
        )],
    );
    super::environment(&mut roff, app);
    super::files(&mut roff, app);
    let name = naming::program_name(app);
    super::see_also_section(&mut roff, &[name.clone(), format!("{name}-setup")]);
    roff.render().into_bytes()
}
