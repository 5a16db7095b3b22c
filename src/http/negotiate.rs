//! Content negotiation: which of the media types a response can take the request's `Accept`
//! header prefers (RFC 9110, 12.5.1).

/// Most media ranges of an `Accept` header that are weighed; the rest are ignored, so a huge
/// header costs no more than this.
const MAX_RANGES: usize = 32;

/// The quality an `Accept` header gives a media type (`type/subtype`): the most specific
/// range that matches it decides (`type/subtype` over `type/*` over `*/*`); no header
/// accepts anything. A quality that is not a number counts as 1, as an unreadable range is
/// better served than refused.
pub fn quality(accept: Option<&str>, media_type: &str) -> f32 {
    let Some(accept) = accept else { return 1.0 };
    let main = media_type.split('/').next().unwrap_or_default();
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',').take(MAX_RANGES) {
        let mut parts = range.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let specificity = if name.eq_ignore_ascii_case(media_type) {
            2
        } else if name
            .split_once('/')
            .is_some_and(|(kind, sub)| kind.eq_ignore_ascii_case(main) && sub == "*")
        {
            1
        } else if name == "*/*" {
            0
        } else {
            continue;
        };
        let quality = parts
            .filter_map(|parameter| parameter.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, value)| value.trim().parse::<f32>().ok())
            .filter(|q| q.is_finite())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        if best.is_none_or(|(seen, _)| specificity > seen) {
            best = Some((specificity, quality));
        }
    }
    best.map_or(0.0, |(_, quality)| quality)
}

/// The index in `offered` of the media type the `Accept` header prefers, the earlier one on
/// a tie; `None` when it accepts none of them (quality 0 for each). An `Accept` header with
/// no media range in it (empty, or only separators) accepts anything.
pub fn choose(accept: Option<&str>, offered: &[&str]) -> Option<usize> {
    let accept = accept.filter(|raw| raw.split(',').any(|range| !range.trim().is_empty()));
    let mut chosen: Option<(usize, f32)> = None;
    for (index, media_type) in offered.iter().enumerate() {
        let q = quality(accept, media_type);
        if q > 0.0 && chosen.is_none_or(|(_, best)| q > best) {
            chosen = Some((index, q));
        }
    }
    chosen.map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::{choose, quality};

    const OFFERED: [&str; 2] = ["application/json", "application/geo+json"];

    #[test]
    fn the_most_specific_range_decides() {
        assert_eq!(quality(None, "application/json"), 1.0);
        assert_eq!(quality(Some("*/*"), "application/json"), 1.0);
        assert_eq!(
            quality(Some("application/*;q=0.5, */*;q=0.1"), "application/json"),
            0.5
        );
        assert_eq!(
            quality(Some("application/json;q=0, */*"), "application/json"),
            0.0
        );
        assert_eq!(quality(Some("text/html"), "application/json"), 0.0);
        assert_eq!(quality(Some("Application/JSON"), "application/json"), 1.0);
        assert_eq!(
            quality(Some("application/json;q=7"), "application/json"),
            1.0
        );
    }

    #[test]
    fn the_preferred_offer_is_chosen_and_ties_go_to_the_first() {
        assert_eq!(choose(None, &OFFERED), Some(0));
        assert_eq!(choose(Some(""), &OFFERED), Some(0));
        assert_eq!(choose(Some("*/*"), &OFFERED), Some(0));
        assert_eq!(choose(Some("application/geo+json"), &OFFERED), Some(1));
        assert_eq!(
            choose(
                Some("application/geo+json, application/json;q=0.9"),
                &OFFERED
            ),
            Some(1)
        );
        assert_eq!(
            choose(Some("application/json, application/geo+json"), &OFFERED),
            Some(0)
        );
        assert_eq!(
            choose(Some("application/geo+json;q=0.5, */*;q=0.1"), &OFFERED),
            Some(1)
        );
        assert_eq!(choose(Some("text/html"), &OFFERED), None);
        assert_eq!(choose(Some("image/*"), &OFFERED), None);
    }
}
