//! The overview's chart of notifications per day as inline SVG: the geometry is worked out
//! here (bars stacked SMS under email, a value over each bar, the day under it, a y axis with
//! round steps) and drawn by the page.

use serde::Serialize;

/// The drawing's size in SVG units; the browser scales it to the page.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 18.0;
const BOTTOM: f64 = 40.0;

#[derive(Debug, Serialize)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub ticks: Vec<Tick>,
    pub bars: Vec<Bar>,
}

#[derive(Debug, Serialize)]
pub struct Tick {
    pub y: f64,
    pub value: u32,
}

#[derive(Debug, Serialize)]
pub struct Bar {
    /// The day, `YYYY-MM-DD`, and its number in the month (the label under the bar).
    pub day: String,
    pub day_of_month: String,
    pub x: f64,
    pub width: f64,
    pub sms: u32,
    pub email: u32,
    pub sms_y: f64,
    pub sms_height: f64,
    pub email_y: f64,
    pub email_height: f64,
    /// Where the value over the bar sits (its baseline).
    pub value_y: f64,
}

/// The smallest of 1, 2, 5, 10, 20, 50… that is at least `n` (and at least 1).
fn round_up(n: u32) -> u32 {
    let mut step = 1u32;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= n {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// The chart of `(day, sms, email)` counts, in order.
pub fn per_day(days: &[(String, u32, u32)]) -> Chart {
    let peak = days.iter().map(|(_, s, e)| s + e).max().unwrap_or(0);
    // The top of the y axis: a round number, split into four round steps where it can be.
    let top_value = round_up(peak.max(4));
    let plot_height = HEIGHT - TOP - BOTTOM;
    let y_of = |v: u32| HEIGHT - BOTTOM - plot_height * f64::from(v) / f64::from(top_value);
    let steps = [4, 5, 2, 1]
        .into_iter()
        .find(|s| top_value.is_multiple_of(*s))
        .unwrap_or(1);
    let ticks = (0..=steps)
        .map(|i| top_value / steps * i)
        .map(|value| Tick { y: y_of(value), value })
        .collect();
    let slot = (WIDTH - LEFT - RIGHT) / days.len().max(1) as f64;
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, (day, sms, email))| {
            let x = LEFT + slot * i as f64 + slot * 0.15;
            let (sms_y, email_y) = (y_of(*sms), y_of(sms + email));
            Bar {
                day: day.clone(),
                day_of_month: day
                    .rsplit('-')
                    .next()
                    .unwrap_or(day)
                    .trim_start_matches('0')
                    .to_string(),
                x,
                width: slot * 0.7,
                sms: *sms,
                email: *email,
                sms_y,
                sms_height: HEIGHT - BOTTOM - sms_y,
                email_y,
                email_height: sms_y - email_y,
                value_y: email_y - 3.0,
            }
        })
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
        ticks,
        bars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_on_a_round_number_over_the_highest_day() {
        let chart = per_day(&[("2026-11-01".into(), 30, 7), ("2026-11-02".into(), 0, 0)]);
        let ticks: Vec<u32> = chart.ticks.iter().map(|t| t.value).collect();
        assert_eq!(ticks, vec![0, 10, 20, 30, 40, 50]);
        let first = &chart.bars[0];
        assert_eq!(first.day_of_month, "1");
        assert!(first.email_y < first.sms_y && first.sms_y < chart.bottom);
        assert_eq!(chart.bars[1].sms_height, 0.0);
        let empty: Vec<u32> = per_day(&[]).ticks.iter().map(|t| t.value).collect();
        assert_eq!(empty, vec![0, 1, 2, 3, 4, 5], "an empty month still has an axis");
        let hundred: Vec<u32> = per_day(&[("2026-11-01".into(), 99, 1)])
            .ticks
            .iter()
            .map(|t| t.value)
            .collect();
        assert_eq!(hundred, vec![0, 25, 50, 75, 100]);
        assert_eq!(round_up(41), 50);
        assert_eq!(round_up(100), 100);
        assert_eq!(round_up(101), 200);
    }
}
