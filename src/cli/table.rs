//! Aligned text tables for the terminal: columns as wide as their widest cell, two spaces
//! apart, the last one unpadded, and rows fitted to a width by shortening the columns marked
//! as shrinkable (a URL, an identity) with `…` rather than wrapping.

/// A table: a header and rows of cells, each cell already styled (so `…` measures as shown).
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Columns that may be cut to fit, in the order they give way.
    shrink: Vec<usize>,
    ellipsis: String,
}

/// Cells narrower than this are never cut further.
const MIN_CUT: usize = 8;

impl Table {
    /// A table with these column titles; `ellipsis` is `…` or the ASCII fallback.
    pub(crate) fn new(header: &[&str], ellipsis: &str) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            shrink: Vec::new(),
            ellipsis: ellipsis.to_string(),
        }
    }

    /// Column `i` may be shortened to fit (after those marked before it).
    pub(crate) fn shrinkable(mut self, i: usize) -> Table {
        self.shrink.push(i);
        self
    }

    /// Adds a row (missing cells are empty).
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(w.len()) {
                w[i] = w[i].max(width(c));
            }
        }
        w
    }

    /// The lines, header first, no wider than `max` when the shrinkable columns allow.
    pub(crate) fn lines(&self, max: usize) -> Vec<String> {
        let mut w = self.widths();
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
        for &i in &self.shrink {
            let over = total(&w).saturating_sub(max);
            if over == 0 {
                break;
            }
            let floor = MIN_CUT.max(width(&self.header[i]));
            w[i] = w[i].saturating_sub(over).max(floor.min(w[i]));
        }
        std::iter::once(&self.header)
            .chain(&self.rows)
            .map(|r| self.line(r, &w))
            .collect()
    }

    fn line(&self, cells: &[String], w: &[usize]) -> String {
        let mut s = String::new();
        for (i, width_i) in w.iter().enumerate() {
            let cell = cells.get(i).map(String::as_str).unwrap_or("");
            let cell = cut(cell, *width_i, &self.ellipsis);
            s.push_str(&cell);
            if i + 1 < w.len() {
                s.push_str(&" ".repeat(width_i - width(&cell) + 2));
            }
        }
        s.trim_end().to_string()
    }
}

/// Characters as shown: colour escapes (a painted mark) take no room.
fn width(s: &str) -> usize {
    if s.contains('\x1b') {
        anstream::adapter::strip_str(s).to_string().chars().count()
    } else {
        s.chars().count()
    }
}

/// `s` cut to `w` characters, ending in the ellipsis when cut.
fn cut(s: &str, w: usize, ellipsis: &str) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let keep = w.saturating_sub(width(ellipsis));
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(ellipsis);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_fits() {
        let mut t = Table::new(&["NAME", "URL", "WHEN"], "…").shrinkable(1);
        t.row(vec![
            "a".into(),
            "https://a-very-long-host.example.com/path".into(),
            "now".into(),
        ]);
        t.row(vec!["bb".into(), "-".into(), "2 h ago".into()]);
        assert_eq!(
            t.lines(200),
            [
                "NAME  URL                                        WHEN",
                "a     https://a-very-long-host.example.com/path  now",
                "bb    -                                          2 h ago",
            ]
        );
        let fitted = t.lines(30);
        assert_eq!(fitted[1], "a     https://a-very…  now");
        assert!(fitted.iter().all(|l| l.chars().count() <= 30), "{fitted:?}");
    }
}
