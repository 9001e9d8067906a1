//! `--window DURATION`: the maintenance window a drain must fit in, as an
//! operator writes it: `90m`, `1h30m`, `2h`, `45s`, or plain seconds.

/// Seconds in `text`, or why it is not a duration.
pub fn parse(text: &str) -> Result<u64, String> {
    let bad = || format!("--window {text:?}: not a duration; write it like 90m, 1h30m, 2h or 45s");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return positive(secs).ok_or_else(bad);
    }
    let (mut total, mut digits) = (0_u64, String::new());
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    positive(total).ok_or_else(bad)
}

fn positive(secs: u64) -> Option<u64> {
    (secs > 0 && secs <= 30 * 86_400).then_some(secs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        for (text, secs) in [
            ("90m", 5400),
            ("1h30m", 5400),
            ("2h", 7200),
            ("45s", 45),
            ("600", 600),
            ("1d", 86_400),
        ] {
            assert_eq!(super::parse(text), Ok(secs), "{text}");
        }
        for bad in [
            "",
            "0",
            "0m",
            "h",
            "1x",
            "1h30",
            "-5m",
            "99999999999999999999h",
            "31d",
        ] {
            let e = super::parse(bad).unwrap_err();
            assert!(e.contains("write it like 90m"), "{bad}: {e}");
        }
    }
}
