//! A page of the ICP list on SQLite: one statement (`list::page_ctes`) whose page comes back as one
//! JSON array; a page that scans (a search, an order other than newest first) runs as a `Search`.

use super::rows::{from_text, IcpJson};
use super::ICP_OBJECT;
use crate::domain::Icp;
use crate::store::list::{order_by, page_ctes, ListFilter, Listed, MORE};
use crate::store::StoreResult;

/// An ICP's size for `page_ctes`: its JSON fields' text.
const ICP_BYTES: &str = "octet_length(i.name) + coalesce(octet_length(i.description), 0) \
     + octet_length(i.lead_provider_criteria) + octet_length(i.custom_filter_criteria) \
     + coalesce(octet_length(i.crm_filters), 0)";

/// A list page as one JSON array (one hand-over per page) and whether more follow (see
/// `page_ctes`).
pub(super) fn list_sql(filter: &ListFilter, cursor: bool) -> String {
    format!(
        "{}SELECT (SELECT json_group_array(json(s.icp) {}) FROM (\
         SELECT {ICP_OBJECT} AS icp, cut.sort_key AS sort_key, cut.icp_id AS icp_id \
         FROM cut CROSS JOIN icps i ON i.id = cut.icp_id WHERE cut.shown) AS s), {MORE}",
        page_ctes(filter, cursor, "CROSS JOIN", ICP_BYTES, NAME_KEY),
        order_by(filter.order, "s."),
    )
}

/// `search_text::name_key` of `i`: the first line of its search text.
const NAME_KEY: &str = "substr(i.search_text, 1, instr(i.search_text || char(10), char(10)) - 1)";

/// A row of `list_sql`: the page's ICPs as one JSON array, and whether more follow.
pub(super) type PageRow = (String, bool);

pub(super) fn page_of(rows: Vec<PageRow>) -> StoreResult<Listed> {
    let (page, more) = rows.into_iter().next().unwrap_or_default();
    let icps = from_text::<Vec<IcpJson>>(&page)?
        .into_iter()
        .map(Icp::try_from)
        .collect::<StoreResult<_>>()?;
    Ok(Listed { icps, more })
}
