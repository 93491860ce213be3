//! An ICP's criteria columns as text, cut from the ICP's JSON text (made once for its version and
//! its event) instead of serializing the criteria a second time: they are most of that text, and
//! serializing them was most of binding an ICP's row.

use super::StoreResult;
use crate::domain::Icp;
use memchr::memmem::{Finder, FinderRev};
use std::borrow::Cow;
use std::sync::LazyLock;

/// The texts of the `lead_provider_criteria`, `custom_filter_criteria` and `crm_filters` columns.
#[derive(Debug, PartialEq)]
pub(super) struct CriteriaText<'a> {
    pub leads: Cow<'a, str>,
    pub custom: Cow<'a, str>,
    pub crm: Option<Cow<'a, str>>,
}

impl<'a> CriteriaText<'a> {
    /// `icp`'s criteria texts, cut from `json` (`icp`'s JSON text), or serialized again when they
    /// cannot be found there as the ICP's JSON writes them (a change to its fields' order).
    pub(super) fn of(icp: &Icp, json: &'a str) -> StoreResult<Self> {
        match cut(json) {
            Some(cut) => Ok(cut),
            None => Self::serialized(icp),
        }
    }

    /// `icp`'s criteria texts, serialized (where its JSON text is not at hand: an update, which
    /// makes it only after its version, so that the two are never held at once).
    pub(super) fn serialized(icp: &Icp) -> StoreResult<Self> {
        Ok(Self {
            leads: serde_json::to_string(&icp.lead_provider_criteria)?.into(),
            custom: serde_json::to_string(&icp.custom_filter_criteria)?.into(),
            crm: icp
                .crm_filters
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?
                .map(Cow::Owned),
        })
    }
}

/// The criteria in `json`, found by their keys alone (no scan of their values). Before
/// `"leadProviderCriteria":` the ICP's JSON holds only strings, whose text never holds `"`
/// unescaped, so its first place is the key's. Custom and CRM filters have only their own typed
/// keys (no free-form map, unlike a lead search's other filters), and what follows `crmFilters`
/// (user ids, a number, a time) holds no key: so the last `,"crmFilters":` is the key, and the
/// last `,"customFilterCriteria":` before it is too; `,"userIds":` follows the CRM filters.
fn cut(json: &str) -> Option<CriteriaText<'_>> {
    // The searchers made once: making one costs more than a search through an ICP's text. The
    // CRM filters' key is near the end of the text, where a search backwards is short.
    static LEADS: LazyLock<Finder> = LazyLock::new(|| Finder::new("\"leadProviderCriteria\":"));
    static CUSTOM: LazyLock<Finder> = LazyLock::new(|| Finder::new(",\"customFilterCriteria\":"));
    static CRM: LazyLock<FinderRev> = LazyLock::new(|| FinderRev::new(",\"crmFilters\":"));
    static USERS: LazyLock<Finder> = LazyLock::new(|| Finder::new(",\"userIds\":"));
    let bytes = json.as_bytes();
    let leads = LEADS.find(bytes)? + LEADS.needle().len();
    let crm_key = CRM.rfind(bytes)?;
    // The last before the CRM filters' key (found forwards: a search backwards costs more).
    let custom_key = leads + CUSTOM.find_iter(bytes.get(leads..crm_key)?).last()?;
    let crm = crm_key + CRM.needle().len();
    let users = crm + USERS.find(bytes.get(crm..)?)?;
    let leads = json.get(leads..custom_key)?;
    let custom = json.get(custom_key + CUSTOM.needle().len()..crm_key)?;
    let crm = json.get(crm..users)?;
    let array = |text: &str| text.starts_with('[') && text.ends_with(']');
    let crm_shaped = crm == "null" || (crm.starts_with('{') && crm.ends_with('}'));
    (array(leads) && array(custom) && crm_shaped).then(|| CriteriaText {
        leads: Cow::Borrowed(leads),
        custom: Cow::Borrowed(custom),
        crm: (crm != "null").then_some(Cow::Borrowed(crm)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{validate_draft, Timestamp};
    use crate::store::group_commit::icp_json;
    use uuid::Uuid;

    fn icp(body: &str) -> Icp {
        let draft = validate_draft(&serde_json::from_str(body).unwrap()).unwrap();
        let now = Timestamp::from_millis(1_750_000_000_000).unwrap();
        draft.into_icp(Uuid::now_v7(), now, now)
    }

    /// The texts cut are the ones serializing the criteria alone makes.
    fn cut_as_serialized(icp: &Icp) {
        let json = icp_json(icp).unwrap();
        let cut = cut(json.get()).expect("the criteria are found in the ICP's JSON");
        let serialized = CriteriaText {
            leads: serde_json::to_string(&icp.lead_provider_criteria)
                .unwrap()
                .into(),
            custom: serde_json::to_string(&icp.custom_filter_criteria)
                .unwrap()
                .into(),
            crm: icp
                .crm_filters
                .as_ref()
                .map(|crm| serde_json::to_string(crm).unwrap().into()),
        };
        assert_eq!(cut, serialized, "{}", json.get());
        assert_eq!(CriteriaText::of(icp, json.get()).unwrap(), serialized);
    }

    #[test]
    fn the_examples_criteria_are_cut_from_their_json() {
        for body in [
            include_str!("../api/examples/ai-filtering.json"),
            include_str!("../api/examples/basic-icp.json"),
            include_str!("../api/examples/crm-integration.json"),
        ] {
            cut_as_serialized(&icp(body));
        }
    }

    #[test]
    fn keys_quotes_and_brackets_inside_strings_do_not_mislead_the_cut() {
        let tricky = r#"{
            "name": "\"leadProviderCriteria\":[{]} \\",
            "description": ",\"customFilterCriteria\":null ]]}} \\\"",
            "leadProviderCriteria": [{"provider": "baseProvider", "type": "person",
                "filters": {"job_title": ["a]\"b", "[{\\\"]"],
                    "customFilterCriteria": [], "crmFilters": {"userIds": null}}}],
            "customFilterCriteria": [{"type": "ai", "entityType": "company",
                "prompt": "Is it \"] ,\"crmFilters\":{\" ?"}],
            "crmFilters": null, "userIds": []
        }"#;
        let icp = icp(tricky);
        assert_eq!(icp.crm_filters, None);
        cut_as_serialized(&icp);
    }

    #[test]
    fn text_not_shaped_as_the_icps_json_is_serialized_again() {
        assert_eq!(cut(r#"{"leadProviderCriteria":[],"other":1}"#), None);
        assert_eq!(
            cut(
                r#"{"leadProviderCriteria":7,"customFilterCriteria":[],"crmFilters":null,"userIds":[]}"#
            ),
            None
        );
        let whole = r#"{"leadProviderCriteria":[1],"customFilterCriteria":[],"crmFilters":null,"userIds":[]}"#;
        assert!(cut(whole).is_some());
        let icp = icp(include_str!("../api/examples/ai-filtering.json"));
        let again = CriteriaText::of(&icp, "{}").unwrap();
        assert!(matches!(again.leads, Cow::Owned(_)));
        assert_eq!(
            again.custom,
            serde_json::to_string(&icp.custom_filter_criteria).unwrap()
        );
    }
}
