//! What a search matches: an ICP's search text (its name, description and targeting values,
//! folded), the words of a search and the people a word names, as both databases compare them.

use super::list::PEOPLE_PER_WORD;
use crate::domain::{Icp, LeadSource, UserId};
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// `text` compared case- and accent-insensitively: "Café ÉTÉ" → "cafe ete".
pub fn fold(text: &str) -> String {
    // ASCII is its own decomposition and has no marks: lowercasing is all (most names, and a
    // twentieth of a create's instructions went to decomposing them).
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The most bytes of `icps.search_text` an ICP keeps: its name and description always fit (2,200
/// characters); the targeting values after them are kept up to this.
pub const SEARCH_TEXT_BYTES: usize = 16 * 1024;

/// What `icps.search_text` holds for `icp`: its name, description and targeting values, folded.
pub fn search_text(icp: &Icp) -> String {
    search_text_of(
        &icp.name,
        icp.description.as_deref(),
        &icp.lead_provider_criteria,
    )
}

/// The search text of an ICP's name, description and lead sources: the words a search finds it
/// by — job titles, seniority, skills, places, industries and company keywords besides its name
/// ("IT-Leiter", "Schweiz" and "Tim" among them), one per line, at most `SEARCH_TEXT_BYTES`.
pub fn search_text_of(name: &str, description: Option<&str>, leads: &[LeadSource]) -> String {
    let mut text = String::from(name);
    for value in description
        .into_iter()
        .chain(leads.iter().flat_map(targeting_values))
    {
        if text.len() + value.len() >= SEARCH_TEXT_BYTES {
            break;
        }
        text.push('\n');
        text.push_str(value);
    }
    let mut folded = fold(&text);
    // Folding can lengthen a text (a ligature becomes up to 18 characters).
    if folded.len() > SEARCH_TEXT_BYTES {
        let mut end = SEARCH_TEXT_BYTES;
        while !folded.is_char_boundary(end) {
            end -= 1;
        }
        folded.truncate(end);
    }
    folded
}

/// The values a lead source targets, as typed.
fn targeting_values(lead: &LeadSource) -> impl Iterator<Item = &str> {
    let f = &lead.filters;
    let location = f.location.as_ref();
    let company = f.company.as_ref();
    [
        f.job_title.as_ref(),
        f.seniority.as_ref(),
        f.skills.as_ref(),
        location.and_then(|l| l.country.as_ref()),
        location.and_then(|l| l.state.as_ref()),
        location.and_then(|l| l.city.as_ref()),
        company.and_then(|c| c.industry.as_ref()),
        company.and_then(|c| c.keywords.as_ref()),
    ]
    .into_iter()
    .flatten()
    .flatten()
    .map(String::as_str)
}

/// A word as a `LIKE` pattern matching it anywhere, its own `%`, `_` and `\` taken literally.
pub fn like_anywhere(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len() + 2);
    pattern.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// What a list by name sorts on: the name folded (`fold`), up to a line break — the first line
/// of `icps.search_text`, which the stores read it from.
pub fn name_key(name: &str) -> String {
    let mut key = fold(name);
    if let Some(end) = key.find('\n') {
        key.truncate(end);
    }
    key
}

/// For each search word, the teammates whose name holds it, folded as the word is (at most
/// `PEOPLE_PER_WORD`, by id so the choice is stable).
pub fn people_named(
    words: &[String],
    names: &std::collections::HashMap<UserId, String>,
) -> Vec<Vec<UserId>> {
    let mut folded: Vec<(&UserId, String)> =
        names.iter().map(|(id, name)| (id, fold(name))).collect();
    folded.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    words
        .iter()
        .map(|word| {
            folded
                .iter()
                .filter(|(_, name)| name.contains(word.as_str()))
                .map(|(id, _)| (*id).clone())
                .take(PEOPLE_PER_WORD)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ListFilter;

    #[test]
    fn ascii_folds_as_any_text_does() {
        let ascii: String = (0..=127u8).map(char::from).collect();
        let general: String = ascii
            .nfkd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .collect();
        assert_eq!(fold(&ascii), general);
        assert_eq!(
            fold("DACH Tech Leaders\nHeads of IT"),
            "dach tech leaders\nheads of it"
        );
    }

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(fold("Café ÉTÉ Zürich"), "cafe ete zurich");
        assert_eq!(fold("ＤＡＣＨ"), "dach");
        assert_eq!(
            ListFilter::words_of("  München   SaaS "),
            ["munchen", "saas"]
        );
        assert_eq!(
            search_text_of("DACH", Some("Für Käufer"), &[]),
            "dach\nfur kaufer"
        );
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_anywhere("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_anywhere("dach"), "%dach%");
    }

    #[test]
    fn search_text_holds_the_targeting_values_within_its_bound() {
        let leads: Vec<LeadSource> = serde_json::from_value(serde_json::json!([
            {"provider": "baseProvider", "filters": {"job_title": ["IT-Leiter"],
                "location": {"country": ["Schweiz"], "city": ["Zürich"]},
                "company": {"industry": ["Information"]}}}
        ]))
        .unwrap();
        assert_eq!(
            search_text_of("DACH", None, &leads),
            "dach\nit-leiter\nschweiz\nzurich\ninformation"
        );
        let many: Vec<LeadSource> = (0..50)
            .map(|_| {
                serde_json::from_value(serde_json::json!({"provider": "baseProvider",
                    "filters": {"job_title": vec!["x".repeat(200); 100]}}))
                .unwrap()
            })
            .collect();
        let text = search_text_of(&"ﬃ".repeat(200), Some(&"d".repeat(2_000)), &many);
        assert!(text.len() <= SEARCH_TEXT_BYTES, "{}", text.len());
        assert!(text.starts_with("ffi"));
    }

    #[test]
    fn a_word_stands_for_at_most_twenty_people_folded_as_words_are() {
        let names = (0..25)
            .map(|i| {
                (
                    UserId::parse(&format!("user_t{i:02}")).unwrap(),
                    format!("Tím {i}"),
                )
            })
            .chain([(UserId::parse("user_ana").unwrap(), "Ana".to_owned())])
            .collect();
        let people = people_named(&["tim".into(), "ana".into(), "zed".into()], &names);
        assert_eq!(people[0].len(), PEOPLE_PER_WORD);
        assert_eq!(
            people[0][0].as_str(),
            "user_t00",
            "by id: the same 20 every time"
        );
        assert_eq!(people[1], [UserId::parse("user_ana").unwrap()]);
        assert!(people[2].is_empty());
    }
}
