//! runit's pattern matching for the `+ - e E` lines of a log directory's
//! `config` (spec: svlogd.md §5): the whole line must be consumed, `*`
//! skips to the first occurrence of the character after it, `+c` consumes
//! a run of `c`, and nothing backtracks.

/// True if `line` matches `pattern` by runit's rules.
#[doc(alias = "pmatch")]
pub fn matches(pattern: &[u8], line: &[u8]) -> bool {
    let (mut p, mut s) = (pattern, line);
    loop {
        let Some((&c, rest)) = p.split_first() else {
            return s.is_empty();
        };
        p = rest;
        match c {
            b'*' => {
                // `*` last matches everything; otherwise skip to the first
                // occurrence of the next pattern character, which is then
                // matched as the pattern's next step (and may itself be
                // special, as in runit).
                let Some(&next) = p.first() else {
                    return true;
                };
                match s.iter().position(|&b| b == next) {
                    Some(i) => s = s.get(i..).unwrap_or_default(),
                    None => return false,
                }
            }
            b'+' => {
                let Some((&want, rest)) = p.split_first() else {
                    return false;
                };
                p = rest;
                if s.first() != Some(&want) {
                    return false;
                }
                let run = s.iter().take_while(|&&b| b == want).count();
                s = s.get(run..).unwrap_or_default();
                // compat(runit): a line that ends inside the run matches,
                // whatever pattern is left (`+ab` matches `a`).
                if s.is_empty() {
                    return true;
                }
            }
            _ => match s.split_first() {
                Some((&b, rest)) if b == c => s = rest,
                _ => return false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn literal_and_star() {
        assert!(matches(b"abc", b"abc"));
        assert!(!matches(b"abc", b"abcd"));
        assert!(!matches(b"abcd", b"abc"));
        assert!(matches(b"*", b""));
        assert!(matches(b"a*", b"abc"));
        assert!(matches(b"*c", b"abc"));
        assert!(!matches(b"*x", b"abc"));
        // No backtracking: the first `*` stops at the first ':'.
        assert!(!matches(b"*: pid *", b"tcpsvd: info: pid 1977 from x"));
        assert!(matches(b"*: *: pid *", b"tcpsvd: info: pid 1977 from x"));
        // `*c` only finds the first c; the rest must then match exactly.
        assert!(!matches(b"*b", b"abab"));
    }

    #[test]
    fn plus_runs_and_the_end_of_line_quirk() {
        assert!(matches(b"+a", b"aaa"));
        assert!(matches(b"+ab", b"aab"));
        assert!(!matches(b"+ab", b"b"));
        assert!(matches(b"+ab", b"a"), "line ends inside the run: match");
        assert!(matches(b"x+ab", b"xaa"));
        assert!(!matches(b"+", b"a"));
        assert!(!matches(b"+a", b""));
    }

    #[test]
    fn star_followed_by_a_special_character() {
        // `**` skips to the first literal '*', then the second `*` is last.
        assert!(matches(b"**", b"ab*cd"));
        assert!(!matches(b"**", b"abcd"));
    }
}
