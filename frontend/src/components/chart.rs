use leptos::prelude::*;
use mediconnect_shared::Bucket;

use crate::dates::day_month;

/// `v` (not negative) with one decimal, halves rounded up, as integer arithmetic:
/// Rust's float formatting and its tables cost the wasm 8 KB of gzip (ADR 0010).
pub fn one_decimal(v: f64) -> String {
    let tenths = (v.max(0.0) * 10.0).round() as u64;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// A daily bar chart drawn as SVG by the app itself, with a text alternative that
/// states the range, the total and the busiest day.
#[component]
pub fn BarChart(
    id: &'static str,
    title: &'static str,
    unit: &'static str,
    buckets: Vec<Bucket>,
) -> impl IntoView {
    // The SVG holds the bars only, stretched to the chart's width; the dates and the
    // scale are text beside it, so they neither stretch nor overlap on a narrow chart.
    let (width, height, top, bottom) = (600.0_f64, 160.0_f64, 8.0_f64, 1.0_f64);
    let highest = buckets.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let max = highest as f64;
    let n = buckets.len().max(1) as f64;
    let slot = width / n;
    let bar = (slot * 0.75).max(1.0);
    let total: u64 = buckets.iter().map(|b| b.value).sum();
    let busiest = buckets.iter().max_by_key(|b| b.value);
    let description = match (buckets.first(), buckets.last(), busiest) {
        (Some(first), Some(last), Some(top_day)) if total > 0 => format!(
            "{} from {} to {}: {total} {unit} in all; the highest was {} {unit} on {}.",
            title,
            day_month(first.date),
            day_month(last.date),
            top_day.value,
            day_month(top_day.date)
        ),
        (Some(first), Some(last), _) => format!(
            "{title} from {} to {}: none.",
            day_month(first.date),
            day_month(last.date)
        ),
        _ => format!("{title}: no data."),
    };
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let bars = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let h = (b.value as f64 / max) * (height - top - bottom);
            let x = i as f64 * slot + (slot - bar) / 2.0;
            let y = height - bottom - h;
            view! {
                <rect
                    x=one_decimal(x)
                    y=one_decimal(y)
                    width=one_decimal(bar)
                    height=one_decimal(h)
                    class="chart-bar"
                >
                    <title>{format!("{}: {} {unit}", day_month(b.date), b.value)}</title>
                </rect>
            }
        })
        .collect_view();
    // First, middle and last day: three dates fit under any width.
    let dates: Vec<String> = match buckets.len() {
        0 => Vec::new(),
        1 => vec![day_month(buckets[0].date)],
        n => vec![
            day_month(buckets[0].date),
            day_month(buckets[n / 2].date),
            day_month(buckets[n - 1].date),
        ],
    };
    view! {
        <figure class="chart card">
            <figcaption><strong>{title}</strong>" · "{format!("{total} {unit}")}</figcaption>
            <div class="chart-plot">
                <div class="chart-scale" aria-hidden="true">
                    <span>{highest.to_string()}</span>
                    <span>{(highest / 2).to_string()}</span>
                    <span>"0"</span>
                </div>
                <svg
                    viewBox=format!("0 0 {} {}", one_decimal(width), one_decimal(height))
                    role="img"
                    aria-labelledby=format!("{title_id} {desc_id}")
                    preserveAspectRatio="none"
                >
                    <title id=title_id.clone()>{title}</title>
                    <desc id=desc_id.clone()>{description.clone()}</desc>
                    <line
                        x1="0"
                        x2=one_decimal(width)
                        y1=one_decimal(top)
                        y2=one_decimal(top)
                        class="chart-grid"
                    />
                    <line
                        x1="0"
                        x2=one_decimal(width)
                        y1=one_decimal((height - bottom + top) / 2.0)
                        y2=one_decimal((height - bottom + top) / 2.0)
                        class="chart-grid"
                    />
                    <line
                        x1="0"
                        x2=one_decimal(width)
                        y1=one_decimal(height - bottom)
                        y2=one_decimal(height - bottom)
                        class="chart-axis"
                    />
                    {bars}
                </svg>
            </div>
            <div class="chart-dates" aria-hidden="true">
                {dates.into_iter().map(|d| view! { <span>{d}</span> }).collect_view()}
            </div>
            <p class="visually-hidden">{description}</p>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::one_decimal;

    #[test]
    fn one_decimal_rounds_to_tenths() {
        assert_eq!(one_decimal(0.0), "0.0");
        assert_eq!(one_decimal(600.0), "600.0");
        assert_eq!(one_decimal(1.5), "1.5");
        assert_eq!(one_decimal(2.04), "2.0");
        assert_eq!(one_decimal(2.06), "2.1");
        assert_eq!(one_decimal(19.96), "20.0");
        assert_eq!(one_decimal(90.0 / 60.0), "1.5");
        assert_eq!(one_decimal(-3.0), "0.0");
    }
}
