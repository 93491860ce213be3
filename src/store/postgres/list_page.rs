//! A page of the ICP list on Postgres: one statement (`list::page_ctes`), one row an ICP; a page
//! that scans (a search, an order other than newest first) runs as a search (`PgStore::search`).

use super::{stopped, ListedRow, PgStore, ICP_COLUMNS};
use crate::domain::{Icp, Timestamp, UserId};
use crate::store::list::{bind_filter, order_by, page_ctes, ListFilter, Listed, Sigil, MORE};
use crate::store::{ListCursor, SortKey, StoreResult};

/// A list page (see `page_ctes`), each row saying whether more follow. Each ICP's size is the
/// generated column `json_bytes` (migration 0012).
pub(super) fn list_sql(filter: &ListFilter, cursor: bool) -> String {
    format!(
        "{}SELECT {ICP_COLUMNS}, {MORE} AS more FROM cut JOIN icps i ON i.id = cut.icp_id \
         WHERE cut.shown {}",
        page_ctes(
            filter,
            Sigil::Dollar,
            cursor,
            "JOIN",
            "i.json_bytes",
            NAME_KEY
        ),
        order_by(filter.order, "cut."),
    )
}

/// `search_text::name_key` of `i`: the first line of its search text, compared byte by byte as SQLite
/// and Rust compare it (not by the database's locale).
const NAME_KEY: &str = r#"(split_part(i.search_text, E'\n', 1) COLLATE "C")"#;

/// A page of `list_icps`.
pub(super) async fn list_page(
    store: &PgStore,
    member: &UserId,
    filter: &ListFilter,
    after: Option<ListCursor>,
    limit: u32,
) -> StoreResult<Listed> {
    let sql = list_sql(filter, after.is_some());
    let mut query = sqlx::query_as::<_, ListedRow>(&sql)
        .bind(member.as_str())
        .bind(i64::from(limit) + 1);
    if let Some(cursor) = after {
        query = match cursor.key {
            SortKey::Created(at) | SortKey::Updated(at) => query.bind(at.0),
            SortKey::Name(name) => query.bind(name),
        }
        .bind(cursor.id);
    }
    let query = bind_filter!(query, filter, Timestamp::now().0);
    let rows = if !filter.scans() {
        query.fetch_all(&store.pool).await?
    } else {
        let mut search = store.search().await?;
        let rows = query.fetch_all(&mut *search).await.map_err(stopped)?;
        search.commit().await?;
        rows
    };
    let more = rows.first().is_some_and(|row| row.more);
    let icps = rows
        .into_iter()
        .map(|row| Icp::try_from(row.icp))
        .collect::<StoreResult<_>>()?;
    Ok(Listed { icps, more })
}
