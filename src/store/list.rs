//! What a list of ICPs can be narrowed to (words in the name or description, active or expired,
//! shared with someone), and the SQL of a page and of a count, the same text on SQLite and
//! Postgres.
//!
//! Search is case- and accent-insensitive on both databases: each ICP keeps its name and
//! description folded (`fold`: compatibility-decomposed, combining marks dropped, lower case) in
//! `icps.search_text`, written with the ICP, and the words searched for are folded the same way.

use super::search_text::fold;
use crate::domain::{Icp, UserId};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long a search (a list narrowed by words: a `LIKE` scan) may run: the request time limit,
/// so a search answered 503 stops with its request. Each store keeps its own (`Store::
/// set_search_limit`), set when the server's state is assembled.
#[derive(Debug)]
pub struct SearchLimit(AtomicU64);

impl SearchLimit {
    /// The default request time limit, until the server's setting is applied.
    pub const DEFAULT: Duration = Duration::from_secs(30);

    pub fn get(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::Relaxed))
    }

    pub fn set(&self, limit: Duration) {
        let millis = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
        self.0.store(millis, Ordering::Relaxed);
    }
}

impl Default for SearchLimit {
    fn default() -> Self {
        let limit = SearchLimit(AtomicU64::new(0));
        limit.set(Self::DEFAULT);
        limit
    }
}

/// Narrows a list; the default lists everything shared with the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ListFilter {
    /// Folded words that must each appear in the ICP's name or description.
    pub words: Vec<String>,
    /// `Some(true)`: only ICPs active now (no `activeUntil`, or one still ahead); `Some(false)`:
    /// only expired ones.
    pub active: Option<bool>,
    /// Only ICPs this user is also among the members of.
    pub shared_with: Option<UserId>,
    /// Only ICPs a user owns, or only those they do not (shared with the caller by others).
    pub owned: Option<Owned>,
    /// For each of `words` (same order), people whose name holds it (at most `PEOPLE_PER_WORD`):
    /// an ICP one of them is a member of also matches that word. Empty: names are not searched
    /// (the API's `q` searches ICPs' own text; the list page also looks up teammates' names).
    pub people: Vec<Vec<UserId>>,
    /// The list's order (not a narrowing: counts ignore it).
    pub order: ListOrder,
    /// Every ICP whose owner is in the member's workspace, shared with the member or not (the
    /// "Workspace" view of its owner and admins: the list page offers it to them only).
    pub workspace: bool,
}

/// How a list is ordered: newest first (the API's order), last updated first, or by name A→Z
/// (case and accents ignored: `name_key`). Only the first walks an index (the members', newest
/// first); the others read the member's ICPs that the filter lets through and keep the page's
/// worth, so they are held to the search limit like a search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ListOrder {
    #[default]
    Created,
    Updated,
    Name,
}

impl ListOrder {
    pub const ALL: [ListOrder; 3] = [ListOrder::Created, ListOrder::Updated, ListOrder::Name];

    /// The order a URL's `sort` names; anything else is the default.
    pub fn parse(raw: Option<&str>) -> Self {
        Self::ALL
            .into_iter()
            .find(|order| Some(order.as_str()) == raw)
            .unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ListOrder::Created => "created",
            ListOrder::Updated => "updated",
            ListOrder::Name => "name",
        }
    }

    /// The SQL of this order's direction and the cursor's comparison.
    fn direction(self) -> (&'static str, &'static str) {
        match self {
            ListOrder::Created | ListOrder::Updated => ("DESC", "<"),
            ListOrder::Name => ("ASC", ">"),
        }
    }
}

/// The most people one search word stands for (`ListFilter::people`).
pub const PEOPLE_PER_WORD: usize = 20;

/// Who owns the ICPs a list keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owned {
    By(UserId),
    NotBy(UserId),
}

impl Owned {
    pub fn user(&self) -> &UserId {
        match self {
            Owned::By(user) | Owned::NotBy(user) => user,
        }
    }
}

impl ListFilter {
    /// The words of a search text, folded; empty text searches for nothing.
    pub fn words_of(text: &str) -> Vec<String> {
        text.split_whitespace().map(fold).collect()
    }

    /// Whether nothing narrows the list (its order aside).
    pub fn is_empty(&self) -> bool {
        let Self {
            words,
            active,
            shared_with,
            owned,
            people,
            order: _,
            workspace,
        } = self;
        words.is_empty()
            && active.is_none()
            && shared_with.is_none()
            && owned.is_none()
            && people.is_empty()
            && !workspace
    }

    /// Whether a page of this list reads more than an index range: a search, an order other
    /// than the index's, or the workspace's ICPs (every owner's range, merged). Such reads are
    /// held to the search limit.
    pub fn scans(&self) -> bool {
        !self.words.is_empty() || self.order != ListOrder::Created || self.workspace
    }
}

/// Which rows of `icp_members me` (joined to `icps i`) a list reads: the member's (`$1`); for the
/// workspace view, each ICP's owner's row, for owners in the member's workspace (one row an ICP).
fn members_sql(filter: &ListFilter) -> &'static str {
    if filter.workspace {
        "me.user_id IN (SELECT o.user_id FROM workspace_members w JOIN workspace_members o \
         ON o.workspace_id = w.workspace_id WHERE w.user_id = $1) AND i.owner_id = me.user_id"
    } else {
        "me.user_id = $1"
    }
}

/// How much of the ICPs' JSON a list page holds before it stops short of its limit: a page of
/// large ICPs (100 of 256 KiB would be 25 MiB) ends once this much is in it (with the ICP that
/// crossed it), and its cursor goes on from there. Each request builds its page in memory, so
/// this times the requests at once bounds what lists can take.
pub const PAGE_BYTES: i64 = 4 << 20;

/// A list page as read: up to its limit of ICPs, fewer when `PAGE_BYTES` ended it, and whether
/// more follow.
#[derive(Debug, Clone, Default)]
pub struct Listed {
    pub icps: Vec<Icp>,
    pub more: bool,
}

/// The common part of a list page's statement on both databases: `page`, the `<2>` first rows
/// (the limit and one more, which tells whether more follow) of the member's ICPs that the filter
/// lets through, in the filter's order after the cursor, each with its `sort_key` and size
/// (`bytes`, an SQL expression over `i`); and `cut`, the same rows, each `shown` when it is within
/// the limit and the bytes before it are under `PAGE_BYTES` (more follow when a row is not:
/// `MORE`). Newest first, it walks `icp_members_by_user_newest` from the cursor and joins each row
/// to `icps` by primary key (`join`: SQLite's `CROSS JOIN` keeps the members as the outer loop),
/// so an unfiltered page costs the same whatever the user's ICP count; a filter skips the rows it
/// refuses on the way. By name, `name_key` is the database's expression of `search_text::name_key` over
/// `i`. Values: `<1>` the member, `<2>` the limit + 1, `<3>`/`<4>` the cursor, then the filter's.
pub fn page_ctes(
    filter: &ListFilter,
    cursor: bool,
    join: &str,
    bytes: &str,
    name_key: &str,
) -> String {
    let p = |n: usize| format!("${n}");
    let key = match filter.order {
        ListOrder::Created => "me.created_at",
        ListOrder::Updated => "i.updated_at",
        ListOrder::Name => name_key,
    };
    let (direction, beyond) = filter.order.direction();
    let (after, first) = if cursor {
        (
            format!(" AND ({key}, me.icp_id) {beyond} ({}, {})", p(3), p(4)),
            5,
        )
    } else {
        (String::new(), 3)
    };
    format!(
        "WITH page AS (SELECT me.icp_id AS icp_id, {key} AS sort_key, {bytes} AS bytes \
         FROM icp_members me {join} icps i ON i.id = me.icp_id WHERE {members}{after}{filter} \
         ORDER BY {key} {direction}, me.icp_id {direction} LIMIT {limit}), \
         cut AS (SELECT icp_id, sort_key, \
         (row_number() OVER w < {limit} AND sum(bytes) OVER w - bytes < {PAGE_BYTES}) AS shown \
         FROM page WINDOW w AS ({order})) ",
        members = members_sql(filter),
        limit = p(2),
        filter = filter_sql(filter, first),
        order = order_by(filter.order, ""),
    )
}

/// `ORDER BY` and the order's columns of `page_ctes`'s rows, under the table name `table` ("cut.",
/// or "" for the bare names).
pub fn order_by(order: ListOrder, table: &str) -> String {
    let (direction, _) = order.direction();
    format!("ORDER BY {table}sort_key {direction}, {table}icp_id {direction}")
}

/// Whether rows of `page_ctes`'s `cut` follow the page.
pub const MORE: &str = "EXISTS (SELECT 1 FROM cut WHERE NOT cut.shown)";

/// The conditions a filter adds to `WHERE me.user_id = <1>` over `icp_members me JOIN icps i`,
/// numbering its values from `first`, in this order: the member it is shared with, the owner it
/// is (not) owned by, the instant `active` is judged at, then one `LIKE` pattern per word (see
/// `like_anywhere`).
pub fn filter_sql(filter: &ListFilter, first: usize) -> String {
    let mut next = first;
    let mut param = || {
        next += 1;
        format!("${}", next - 1)
    };
    let mut sql = String::new();
    if filter.shared_with.is_some() {
        sql += &format!(
            " AND EXISTS (SELECT 1 FROM icp_members s WHERE s.icp_id = me.icp_id AND s.user_id = {})",
            param()
        );
    }
    match &filter.owned {
        Some(Owned::By(_)) => sql += &format!(" AND i.owner_id = {}", param()),
        Some(Owned::NotBy(_)) => {
            sql += &format!(" AND (i.owner_id IS NULL OR i.owner_id <> {})", param())
        }
        None => {}
    }
    match filter.active {
        Some(true) => {
            let now = param();
            sql += &format!(" AND (i.active_until IS NULL OR i.active_until > {now})");
        }
        Some(false) => sql += &format!(" AND i.active_until <= {}", param()),
        None => {}
    }
    for (index, _) in filter.words.iter().enumerate() {
        let pattern = param();
        let people = filter.people.get(index).map_or(0, Vec::len);
        if people == 0 {
            sql += &format!(" AND i.search_text LIKE {pattern} ESCAPE '\\'");
        } else {
            let ids: Vec<String> = (0..people).map(|_| param()).collect();
            sql += &format!(
                " AND (i.search_text LIKE {pattern} ESCAPE '\\' OR EXISTS (SELECT 1 FROM icp_members pm \
                 WHERE pm.icp_id = me.icp_id AND pm.user_id IN ({})))",
                ids.join(", ")
            );
        }
    }
    sql
}

/// Counts what `filter` lets through of `member`'s ICPs: the members' index alone when nothing
/// narrows it (`<1>` the member, then the filter's values).
pub fn count_sql(filter: &ListFilter) -> String {
    if filter.is_empty() {
        "SELECT count(*) FROM icp_members WHERE user_id = $1".to_owned()
    } else {
        format!(
            "SELECT count(*) FROM icp_members me JOIN icps i ON i.id = me.icp_id WHERE {}{}",
            members_sql(filter),
            filter_sql(filter, 2)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::search_text::{name_key, search_text_of};

    #[test]
    fn each_filter_adds_its_condition_and_numbered_values() {
        let filter = ListFilter {
            words: vec!["a".into(), "b".into()],
            active: Some(false),
            shared_with: UserId::parse("user_x"),
            owned: UserId::parse("user_y").map(Owned::NotBy),
            // "b" is also the name of two people: ICPs they are members of match it too.
            people: vec![
                vec![],
                ["user_b1", "user_b2"]
                    .iter()
                    .flat_map(|id| UserId::parse(id))
                    .collect(),
            ],
            order: ListOrder::Name,
            workspace: false,
        };
        let sql = filter_sql(&filter, 5);
        assert!(sql.contains("s.user_id = $5"), "{sql}");
        assert!(sql.contains("i.owner_id <> $6"), "{sql}");
        assert!(sql.contains("i.active_until <= $7"), "{sql}");
        assert!(sql.contains("AND i.search_text LIKE $8 ESCAPE"), "{sql}");
        assert!(
            sql.contains("(i.search_text LIKE $9 ESCAPE '\\' OR EXISTS (SELECT 1 FROM icp_members pm WHERE pm.icp_id = me.icp_id AND pm.user_id IN ($10, $11)))"),
            "{sql}"
        );
        assert_eq!(filter_sql(&ListFilter::default(), 3), "");
        assert!(count_sql(&ListFilter::default()).ends_with("user_id = $1"));
        // An order narrows nothing: counted in the index alone, yet the page is a scan.
        let by_name = ListFilter {
            order: ListOrder::Name,
            ..ListFilter::default()
        };
        assert!(count_sql(&by_name).ends_with("user_id = $1"));
        assert!(by_name.scans() && !ListFilter::default().scans());
    }

    #[test]
    fn a_name_sorts_folded_up_to_a_line_break() {
        assert_eq!(name_key("Ärzte DACH"), "arzte dach");
        assert_eq!(name_key("Two\nlines"), "two");
        // The first line of the search text, which the stores sort by.
        let text = search_text_of("Café Owners", Some("Zürich"), &[]);
        assert_eq!(
            text.split('\n').next(),
            Some(name_key("Café Owners").as_str())
        );
        for raw in ["name", "updated", "created", "bogus"] {
            let order = ListOrder::parse(Some(raw));
            assert_eq!(order.as_str(), if raw == "bogus" { "created" } else { raw });
        }
    }
}
