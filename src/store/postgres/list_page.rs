//! A page of the ICP list on Postgres: one statement (`list::page_ctes`), one row an ICP; a page
//! that scans (a search, an order other than newest first) runs as a `Search`.

use super::{ListedRow, ICP_COLUMNS};
use crate::domain::Icp;
use crate::store::list::{order_by, page_ctes, ListFilter, Listed, MORE};
use crate::store::StoreResult;

/// A list page (see `page_ctes`), each row saying whether more follow. Each ICP's size is the
/// generated column `json_bytes` (migration 0012).
pub(super) fn list_sql(filter: &ListFilter, cursor: bool) -> String {
    format!(
        "{}SELECT {ICP_COLUMNS}, {MORE} AS more FROM cut JOIN icps i ON i.id = cut.icp_id \
         WHERE cut.shown {}",
        page_ctes(filter, cursor, "JOIN", "i.json_bytes", NAME_KEY),
        order_by(filter.order, "cut."),
    )
}

/// `search_text::name_key` of `i`: the first line of its search text, compared byte by byte as SQLite
/// and Rust compare it (not by the database's locale).
const NAME_KEY: &str = r#"(split_part(i.search_text, E'\n', 1) COLLATE "C")"#;

/// A row of `list_sql`: one ICP of the page, and whether more follow.
pub(super) type PageRow = ListedRow;

pub(super) fn page_of(rows: Vec<PageRow>) -> StoreResult<Listed> {
    let more = rows.first().is_some_and(|row| row.more);
    let icps = rows
        .into_iter()
        .map(|row| Icp::try_from(row.icp))
        .collect::<StoreResult<_>>()?;
    Ok(Listed { icps, more })
}
