//! Aligned columns kept in place when a name of another length replaced keyward's.

/// `new` with its first aligned column (text after a run of two or more spaces, past the
/// indent) at the column it had in `old`, keeping at least two spaces.
pub(super) fn realign(old: &str, new: &str) -> String {
    let (Some((old_col, _)), Some((new_col, gap))) = (first_gap(old), first_gap(new)) else {
        return new.to_string();
    };
    if old_col == new_col {
        return new.to_string();
    }
    let chars: Vec<char> = new.chars().collect();
    let spaces = (gap as isize + old_col as isize - new_col as isize).max(2) as usize;
    let before: String = chars[..new_col - gap].iter().collect();
    let after: String = chars[new_col..].iter().collect();
    format!("{before}{}{after}", " ".repeat(spaces))
}

/// The char column of the text after the first internal run of ≥ 2 spaces, and its length.
fn first_gap(line: &str) -> Option<(usize, usize)> {
    let chars: Vec<char> = line.chars().collect();
    let mut i = chars.iter().take_while(|c| **c == ' ').count();
    while i < chars.len() {
        if chars[i] == ' ' {
            let run = chars[i..].iter().take_while(|c| **c == ' ').count();
            if run >= 2 && i + run < chars.len() {
                return Some((i + run, run));
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}
