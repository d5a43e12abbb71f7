//! The fetch path's parsers against the whole tree.

use super::*;
use clap::CommandFactory;

fn os(args: &[&str]) -> Vec<OsString> {
    std::iter::once("keyward")
        .chain(args.iter().copied())
        .map(OsString::from)
        .collect()
}

/// What the whole tree makes of `args`, as text (the token flag's value is masked).
fn whole(args: &[OsString]) -> Option<String> {
    let m = Cli::command().try_get_matches_from(args).ok()?;
    Cli::from_arg_matches(&m).ok().map(|c| format!("{c:?}"))
}

#[test]
fn fetch_commands_parse_as_the_whole_tree_parses_them() {
    let lines: &[&[&str]] = &[
        &["token"],
        &["-s", "truto", "token"],
        &["-struto", "-p", "staging", "token"],
        &["--service=truto", "--profile-name", "x", "-q", "token"],
        &["-s", "token", "token"],
        &["-o", "json", "--backend", "file", "get"],
        &["--no-color", "store"],
        &["erase", "-s", "a"],
        &["-s", "the0", "exec", "--only", "a,b", "--", "env", "-s", "token"],
        &["exec", "--no-token", "sh", "-c", "echo $X"],
        &["--token", "sk_x", "--api-url", "http://127.0.0.1:1", "token"],
        &["-s", "k8s", "-p", "prod", "kube-credential"],
    ];
    for line in lines {
        let args = os(line);
        let fast = reduced(&args).map(|c| format!("{c:?}"));
        assert!(fast.is_some(), "{line:?} takes the fetch path");
        assert_eq!(fast, whole(&args), "{line:?}");
    }
}

#[test]
fn everything_else_is_left_to_the_whole_tree() {
    let lines: &[&[&str]] = &[
        &[],
        &["status"],
        &["-s", "token", "status"],
        &["token", "--help"],
        &["--help", "token"],
        &["--version"],
        &["token", "extra"],
        &["token", "--bogus"],
        &["--bogus", "token"],
        &["exec"],
        &["-o", "yaml", "token"],
        &["--", "token"],
        &["help", "token"],
    ];
    for line in lines {
        assert!(
            reduced(&os(line)).is_none(),
            "{line:?} is parsed by the whole tree"
        );
    }
}

/// A reading of a command line: `Cli`'s Debug text (the token flag's value masked) and the
/// token flag's value.
type Reading = (String, Option<String>);

fn reading(cli: &Cli) -> Reading {
    let token = cli.global.token.as_ref().map(|t| t.expose().to_string());
    (format!("{cli:?}"), token)
}

/// Checks the hand reader against the whole tree (`tree`, built once) on `args`: it may
/// decline, else it must read what clap reads. True when it read the line.
fn agrees(tree: &mut clap::Command, args: &[OsString]) -> bool {
    let Some(fast) = hand::parse(args) else {
        return false;
    };
    let clap = tree
        .try_get_matches_from_mut(args)
        .map_err(|e| e.kind())
        .and_then(|m| Cli::from_arg_matches(&m).map_err(|e| e.kind()));
    match clap {
        Ok(cli) => assert_eq!(reading(&fast), reading(&cli), "{args:?}"),
        Err(kind) => panic!("{args:?}: read by hand as {fast:?}, clap says {kind:?}"),
    }
    true
}

fn words(parts: &[&[&str]]) -> Vec<OsString> {
    let flat: Vec<&str> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    os(&flat)
}

/// Global flags in each of clap's spellings, and words it refuses or reads otherwise.
const GLOBALS: &[&[&str]] = &[
    &["-s", "a"],
    &["-sa"],
    &["-s=a"],
    &["--service", "a"],
    &["--service=a"],
    &["--service=a=b"],
    &["-s", "token"],
    &["-s", "exec"],
    &["-p", "b"],
    &["-pb"],
    &["-p=b"],
    &["--profile", "b"],
    &["--profile=b"],
    &["--profile-name", "b"],
    &["--profile-name=b"],
    &["-o", "json"],
    &["-ojson"],
    &["-o=json"],
    &["-o", "text"],
    &["--output", "json"],
    &["--output=text"],
    &["-o", "yaml"],
    &["-o", "JSON"],
    &["-oj"],
    &["--token", "sk_flag_0123456789"],
    &["--token=sk_other_9876543210"],
    &["--token", "with space"],
    &["--api-url", "http://127.0.0.1:1"],
    &["--api-url=http://127.0.0.1:2/x?a=b"],
    &["--backend", "file"],
    &["--backend=keyring"],
    &["--backend", "auto"],
    &["--backend", "File"],
    &["--backend", "vault"],
    &["-q"],
    &["--quiet"],
    &["--no-color"],
    &["-qs", "a"],
    &["-qsa"],
    &["-qs=a"],
    &["-qq"],
    &["-sq"],
    &["-qo", "json"],
    &["-s"],
    &["--service"],
    &["--service="],
    &["-s="],
    &["-s", ""],
    &["--token", ""],
    &["-s", "-p"],
    &["-s", "-"],
    &["-s", "--"],
    &["-p", "-1"],
    &["--token=-x"],
    &["-s-x"],
    &["-"],
    &["--"],
    &["-h"],
    &["--help"],
    &["-V"],
    &["--version"],
    &["--bogus"],
    &["-x"],
    &["-sä"],
    &["-äs"],
    &["--quiet=true"],
    &["--no-color=1"],
    &["--serv", "a"],
    &["--Service", "a"],
];

const COMMANDS: &[&str] = &[
    "token",
    "get",
    "store",
    "erase",
    "kube-credential",
    "exec",
    "status",
    "help",
    "tokn",
    "list",
    "auth",
    "Token",
];

/// `exec`'s own words: its flags, its command, and words clap refuses or reads otherwise.
const EXEC_WORDS: &[&[&str]] = &[
    &["--only", "a,b"],
    &["--only=c"],
    &["--only", "d"],
    &["--only", "a,,b"],
    &["--only", "a,"],
    &["--only", ""],
    &["--only"],
    &["--only=-x"],
    &["--onlyx"],
    &["--no-token"],
    &["--allow-nested"],
    &["--mask"],
    &["--no-mask"],
    &["--no-token=1"],
    &["--"],
    &["cmd"],
    &["sh", "-c", "echo $X"],
    &["env", "-s", "x", "--", "y"],
    &["-x"],
    &["-"],
];

/// How a generated `exec` line may end.
const EXEC_TAILS: &[&[&str]] = &[&["--", "cmd", "-q"], &["cmd", "--only", "x"], &["--"]];

#[test]
fn the_hand_reader_reads_every_listed_line_as_clap_does_or_not_at_all() {
    let mut tree = Cli::command();
    let mut read = 0;
    let mut lines = 0;
    for &command in COMMANDS {
        let extras: &[&[&str]] = if command == "exec" { EXEC_WORDS } else { &[] };
        for &g in GLOBALS {
            let tail: &[&str] = if command == "exec" { &["--", "cmd"] } else { &[] };
            for line in [
                words(&[g, &[command], tail]),
                words(&[&[command], g, tail]),
                words(&[g, &["-s", "z", command], g, tail]),
                words(&[&["-q"], g, &[command, "-p", "y"], tail]),
            ] {
                lines += 1;
                read += usize::from(agrees(&mut tree, &line));
            }
            for &x in extras {
                for line in [
                    words(&[g, &[command], x]),
                    words(&[&[command], x, g]),
                    words(&[&[command], g, x, &["cmd"]]),
                    words(&[&[command], x, g, &["--", "cmd", "-s"]]),
                ] {
                    lines += 1;
                    read += usize::from(agrees(&mut tree, &line));
                }
            }
        }
    }
    // Not vacuous: a good share of the lines are read by hand (and so checked).
    assert!(read * 6 > lines, "{read} of {lines} lines read by hand");
}

/// A small deterministic generator (xorshift64*), so a failure names a line that comes back.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }
}

#[test]
fn the_hand_reader_reads_generated_lines_as_clap_does_or_not_at_all() {
    let mut tree = Cli::command();
    let mut rng = Rng(0x5eed_f00d_1234_5678);
    // Mostly well-formed words, so that many lines are read by hand and so compared.
    let good: Vec<&[&str]> = GLOBALS.iter().copied().filter(|g| hand_friendly(g)).collect();
    let (mut read, total) = (0, 20_000);
    for _ in 0..total {
        let mut parts: Vec<&[&str]> = Vec::new();
        let pool = |rng: &mut Rng| {
            if rng.below(5) == 0 {
                GLOBALS
            } else {
                good.as_slice()
            }
        };
        for _ in 0..rng.below(4) {
            let from = pool(&mut rng);
            parts.push(*rng.pick(from));
        }
        let command = if rng.below(6) == 0 {
            rng.pick(COMMANDS)
        } else {
            rng.pick(&COMMANDS[..6])
        };
        parts.push(std::slice::from_ref(command));
        for _ in 0..rng.below(5) {
            if *command == "exec" && rng.below(2) == 0 {
                parts.push(*rng.pick(EXEC_WORDS));
            } else {
                let from = pool(&mut rng);
                parts.push(*rng.pick(from));
            }
        }
        if *command == "exec" && rng.below(4) != 0 {
            parts.push(*rng.pick(EXEC_TAILS));
        }
        read += usize::from(agrees(&mut tree, &words(&parts)));
    }
    assert!(read * 6 > total, "{read} of {total} generated lines read by hand");
}

/// The spellings the hand reader is meant to read (the generator favours them).
fn hand_friendly(g: &[&str]) -> bool {
    g.iter()
        .all(|w| !w.is_empty() && !matches!(*w, "-" | "--" | "-h" | "--help" | "-V" | "--version"))
        && !matches!(g, [flag] if flag.ends_with('='))
        && !matches!(g, ["-s" | "--service"])
}

#[test]
fn the_common_fetch_lines_are_read_by_hand() {
    let mut tree = Cli::command();
    let lines: &[&[&str]] = &[
        &["token"],
        &["-s", "bench", "token"],
        &["-s", "x", "-p", "y", "token"],
        &["-sx", "-py", "-q", "token"],
        &["--service=x", "token", "-o", "json"],
        &["get"],
        &["store"],
        &["erase"],
        &["-s", "k8s", "kube-credential"],
        &["exec", "--", "cmd"],
        &[
            "-s",
            "x",
            "exec",
            "--no-token",
            "--only",
            "a,b",
            "--",
            "printenv",
            "A",
        ],
        &["exec", "sh", "-c", "echo $X"],
        &["exec", "--only=a", "--only", "b,c", "--mask", "cmd", "--", "-s"],
        &["exec", "--allow-nested", "--no-mask", "--", "-x", "--"],
    ];
    for line in lines {
        assert!(agrees(&mut tree, &os(line)), "{line:?} is read by hand");
    }
}

/// Each spelling clap accepts for a global flag is read by hand (and so compared), before
/// the command and after it.
#[test]
fn every_spelling_of_each_global_flag_is_read_by_hand() {
    let mut tree = Cli::command();
    let spellings: &[&[&str]] = &[
        &["-s", "a"],
        &["-sa"],
        &["-s=a"],
        &["--service", "a"],
        &["--service=a=b"],
        &["-pb"],
        &["-p=b"],
        &["--profile", "b"],
        &["--profile-name=b"],
        &["-ojson"],
        &["-o=json"],
        &["--output", "text"],
        &["--token", "with space"],
        &["--token=sk_other_9876543210"],
        &["--api-url=http://127.0.0.1:2/x?a=b"],
        &["--backend", "file"],
        &["--backend=keyring"],
        &["-q"],
        &["--quiet"],
        &["--no-color"],
        &["-qsa"],
        &["-qs", "a"],
        &["-qs=a"],
        &["-sq"],
    ];
    for &g in spellings {
        for line in [
            words(&[g, &["token"]]),
            words(&[&["get"], g]),
            words(&[g, &["exec", "--", "-x"]]),
        ] {
            assert!(agrees(&mut tree, &line), "{line:?} is read by hand");
        }
    }
}

#[test]
fn non_utf8_words_are_left_to_clap() {
    use std::os::unix::ffi::OsStringExt;
    let mut args = os(&["-s"]);
    args.push(OsString::from_vec(vec![0xff, b'x']));
    args.push("token".into());
    assert!(hand::parse(&args).is_none());
    let mut args = os(&["exec", "--"]);
    args.push(OsString::from_vec(vec![b'c', 0xfe]));
    assert!(hand::parse(&args).is_none());
}

/// The hand reader reads no environment because clap does not: no argument of the whole tree
/// has an `env = …` fallback. One added would fail here, until the reader learns it too.
#[test]
fn no_argument_of_the_whole_tree_reads_the_environment() {
    fn walk(cmd: &clap::Command, path: &str, found: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            if arg.get_env().is_some() {
                found.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), found);
        }
    }
    let mut found = Vec::new();
    walk(&Cli::command(), "keyward", &mut found);
    assert!(found.is_empty(), "arguments with an env fallback: {found:?}");
}
