//! Durations as people write them in the configuration: `30s`, `5m`, `1h30m`, `7d`.

/// What a duration must look like, for error messages.
pub const EXPECTED: &str = "a duration such as 30s, 5m, 1h30m or 7d";

/// Seconds in `text`, or `None` when it is not a positive duration.
pub fn parse_secs(text: &str) -> Option<u64> {
    let text = text.trim();
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return None,
        };
        let n: u64 = digits.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        digits.clear();
    }
    (digits.is_empty() && total > 0).then_some(total)
}

/// Minutes after midnight in `HH:MM` (24:00 allowed as the end of a day).
pub fn parse_clock(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    ((h < 24 && m < 60) || (h == 24 && m == 0)).then_some(h * 60 + m)
}

/// Weekdays, Monday first, from `mon-fri`, `sat,sun`, `daily`, `weekdays` or `weekends`.
pub fn parse_days(text: &str) -> Option<[bool; 7]> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let index = |s: &str| NAMES.iter().position(|n| s.trim().eq_ignore_ascii_case(n));
    let mut days = [false; 7];
    match text.trim() {
        "daily" | "every day" => return Some([true; 7]),
        "weekdays" => return Some([true, true, true, true, true, false, false]),
        "weekends" => return Some([false, false, false, false, false, true, true]),
        _ => {}
    }
    for part in text.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (index(a)?, index(b)?);
                let mut i = a;
                loop {
                    days[i] = true;
                    if i == b {
                        break;
                    }
                    i = (i + 1) % 7;
                }
            }
            None => days[index(part)?] = true,
        }
    }
    Some(days)
}

/// What days must look like, for error messages.
pub const DAYS_EXPECTED: &str = "days such as mon-fri, sat,sun, daily, weekdays or weekends";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_add_their_parts() {
        assert_eq!(parse_secs("30s"), Some(30));
        assert_eq!(parse_secs("1h30m"), Some(5400));
        assert_eq!(parse_secs("7d"), Some(604_800));
        for bad in ["", "5", "5 minutes", "0m", "m5", "-5m"] {
            assert_eq!(parse_secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn clock_and_days_read_like_a_rota() {
        assert_eq!(parse_clock("09:30"), Some(570));
        assert_eq!(parse_clock("24:00"), Some(1440));
        assert_eq!(parse_clock("25:00"), None);
        assert_eq!(
            parse_days("mon-fri").unwrap(),
            [true, true, true, true, true, false, false]
        );
        assert_eq!(
            parse_days("fri-mon").unwrap(),
            [true, false, false, false, true, true, true]
        );
        assert_eq!(
            parse_days("sat,sun").unwrap(),
            [false, false, false, false, false, true, true]
        );
        assert_eq!(parse_days("funday"), None);
    }
}
