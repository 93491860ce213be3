//! `GET /api/v1/entities/icps`: the caller's ICPs, newest first, a page at a time (a cursor), narrowed
//! by words (`q`), status (`active`) and member (`sharedWith`).

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use super::icps::ICPS_PATH;
use super::query::{bad_param, page_limit, read_query, unknown_param};
use crate::domain::{Icp, UserId};
use crate::icps;
use crate::store::{DynStore, ListCursor, ListFilter, ListOrder, Listed};
use axum::extract::RawQuery;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::IntoResponse;

pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 100;
/// The problem of a `cursor` this API did not give.
pub const BAD_CURSOR: &str =
    "Invalid cursor; pass the x-next-cursor header of the previous page unchanged";
/// Points `headers` to the next page: `Link` to `next` (its path and query) and, where the API
/// gives one, the page's `x-next-cursor`.
pub fn next_page(
    headers: &mut HeaderMap,
    next: &str,
    cursor: Option<String>,
) -> Result<(), ApiError> {
    let link = format!("<{next}>; rel=\"next\"");
    let cursor = cursor.map(|cursor| (NEXT_CURSOR_HEADER, cursor));
    for (name, value) in cursor.into_iter().chain([("link", link)]) {
        headers.insert(
            name,
            HeaderValue::from_str(&value).map_err(ApiError::internal)?,
        );
    }
    Ok(())
}

/// The longest `q`.
pub const MAX_SEARCH_CHARS: usize = crate::domain::Limits::SEARCH_CHARS;

/// The list endpoint's query: `limit`, `cursor` and the filters.
struct ListQuery {
    /// Whether `limit` or `cursor` was given: without them (and without filters) the answer is
    /// every ICP, as the reference's List ICPs defines it.
    paged: bool,
    limit: u32,
    after: Option<ListCursor>,
    filter: ListFilter,
    /// The filters as given (decoded), for the next page's link.
    filter_params: Vec<(&'static str, String)>,
}

fn parse_list_query(query: Option<&str>) -> Result<ListQuery, ApiError> {
    let start = ListQuery {
        paged: false,
        limit: DEFAULT_PAGE,
        after: None,
        filter: ListFilter::default(),
        filter_params: Vec::new(),
    };
    read_query(query, start, |list, key, value| {
        list.paged |= key == "limit" || key == "cursor";
        match key {
            "limit" => list.limit = page_limit(&value, MAX_PAGE)?,
            "cursor" => match ListCursor::decode(&value, ListOrder::Created) {
                Some(cursor) => list.after = Some(cursor),
                None => return Err(bad_param("cursor", BAD_CURSOR)),
            },
            "q" => {
                // Counted as typed, then as folded (one character can fold to 18).
                let too_long = || {
                    bad_param(
                        "q",
                        format!("Must be at most {MAX_SEARCH_CHARS} characters (accents and ligatures folded)"),
                    )
                };
                if value.chars().count() > MAX_SEARCH_CHARS {
                    return Err(too_long());
                } else if value.contains('\0') {
                    return Err(bad_param(
                        "q",
                        "Must not contain the NUL character (\\u0000)",
                    ));
                }
                let words = ListFilter::words_of(&value);
                if words.iter().map(|w| w.chars().count()).sum::<usize>() > MAX_SEARCH_CHARS {
                    return Err(too_long());
                }
                list.filter.words = words;
                list.filter_params.push(("q", value.into_owned()));
            }
            "active" => match &*value {
                "true" | "false" => {
                    list.filter.active = Some(value == "true");
                    list.filter_params.push(("active", value.into_owned()));
                }
                _ => return Err(bad_param("active", "Must be true or false")),
            },
            "sharedWith" => match UserId::parse(&value) {
                Some(user) => {
                    list.filter.shared_with = Some(user);
                    list.filter_params.push(("sharedWith", value.into_owned()));
                }
                None => return Err(bad_param(
                    "sharedWith",
                    format!(
                        "Invalid user id '{value}'; expected user_ followed by letters and digits (at most {} characters)",
                        UserId::MAX_LEN
                    ),
                )),
            },
            _ => return Err(unknown_param(key, "limit, cursor, q, active and sharedWith")),
        }
        Ok(())
    })
}

/// Lists the caller's ICPs, newest first: all of them, or a page at a time, optionally narrowed.
#[utoipa::path(
    get,
    path = "/api/v1/entities/icps",
    description = format!("Without `limit`, `cursor` or a filter: every ICP the caller can read, newest first, as \
        one JSON array (as the reference's List ICPs), read from the database and sent a page at a time. \
        With `limit` or `cursor` (or a filter): one page, 50 by default, and `x-next-cursor`/`Link` to \
        the next. A page holds fewer than `limit` ICPs when their JSON passes {}: follow \
        `x-next-cursor` until it is absent.", crate::domain::size_in_words(crate::store::PAGE_BYTES as usize)),
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1–100 (default 50 when paging: a filter or \
            `cursor` without `limit`)", minimum = 1, maximum = 100),
        ("cursor" = Option<String>, Query, pattern = "^[0-9]{1,14}-[0-9a-fA-F]{32}$", description = "The `x-next-cursor` header of the previous page"),
        ("q" = Option<String>, Query, max_length = 200, description = "Words that must each appear in the name, \
            description or targeting values (job titles, seniority, skills, places, industries, company keywords), ignoring case and accents (`dach` finds \"DACH Tech\", `munchen` finds \"München\"); \
            at most 200 characters, no U+0000"),
        ("active" = Option<bool>, Query, description = "`true`: only ICPs active now (no `activeUntil`, or one \
            still ahead); `false`: only expired ones"),
        ("sharedWith" = Option<String>, Query, pattern = "^user_[A-Za-z0-9]+$", max_length = 64, description = "Only ICPs also shared with this user id"),
    ),
    responses(
        (status = 200, description = "ICPs shared with the caller that match the filters, newest first: all of \
            them without `limit`, `cursor` and filters; else a page, and when more follow, the `x-next-cursor` header holds the cursor of the next page and `Link` its URL \
            (rel=\"next\", with the same filters).",
            body = Vec<Icp>,
            headers(("x-next-cursor" = String, description = "Cursor of the next page, absent on the last"))),
        (status = 400, description = "Bad `limit`, `cursor`, `q`, `active` or `sharedWith`, or an unknown parameter", body = ErrorBody),
    ),
)]
pub(super) async fn list_icps(
    Caller { user, store }: Caller,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let list = parse_list_query(query.as_deref())?;
    if !list.paged && list.filter.is_empty() {
        return Ok(all_icps(store, user));
    }
    let found = icps::list(store.as_ref(), &user, &list.filter, list.after, list.limit).await?;
    let mut headers = HeaderMap::new();
    if let Some(next) = found.next() {
        let cursor = next.encode();
        let mut link = url::form_urlencoded::Serializer::new(String::new());
        link.append_pair("limit", &list.limit.to_string());
        for (key, value) in &list.filter_params {
            link.append_pair(key, value);
        }
        link.append_pair("cursor", &cursor);
        next_page(
            &mut headers,
            &format!("{ICPS_PATH}?{}", link.finish()),
            Some(cursor),
        )?;
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let json = found.json_body().map_err(ApiError::internal)?;
    Ok((headers, json).into_response())
}

/// ICPs read from the database at a time while every ICP is listed.
const ALL_PAGE: u32 = 100;

/// Every ICP shared with `user`, newest first, as one JSON array written as it is read (see
/// `every_icp`).
fn all_icps(store: DynStore, user: UserId) -> axum::response::Response {
    let write = |out: &mut Vec<u8>, icp: &Icp| serde_json::to_writer(out, icp);
    (
        [(header::CONTENT_TYPE, "application/json")],
        every_icp(store, user, write),
    )
        .into_response()
}

/// Every ICP shared with `user`, newest first, as the body of an answer: one JSON array, each ICP
/// as `write` puts it, read from the database a page at a time (`ALL_PAGE`, or `PAGE_BYTES`) (not through the read cache:
/// each page is read once) and written as it is read, so memory stays at a page whatever the
/// count. ICPs created while it runs are newer than its first page and not in it. A database
/// error after the answer began ends the body unfinished (the client sees a broken answer, never
/// a shorter list that looks whole) and is logged.
pub fn every_icp(
    store: DynStore,
    user: UserId,
    write: fn(&mut Vec<u8>, &Icp) -> serde_json::Result<()>,
) -> axum::body::Body {
    use axum::body::{Body, Bytes};
    // What is still to read: the page after `after` (None: the first), unless the end was sent.
    let pages = futures_util::stream::unfold(Some(None), move |next| {
        let (store, user) = (store.clone(), user.clone());
        async move {
            let after: Option<ListCursor> = next?;
            let first = after.is_none();
            let Listed { icps, more } = match store.every_icp_page(&user, after, ALL_PAGE).await {
                Ok(listed) => listed,
                Err(error) => {
                    tracing::error!(error = %crate::error_chain(&error), "listing every ICP failed after the answer began");
                    return Some((Err(std::io::Error::other("list ended early")), None));
                }
            };
            let mut chunk = Vec::with_capacity(icps.len() * 1024 + 2);
            if first {
                chunk.push(b'[');
            }
            for (i, icp) in icps.iter().enumerate() {
                if !first || i > 0 {
                    chunk.push(b',');
                }
                if let Err(error) = write(&mut chunk, icp) {
                    return Some((Err(std::io::Error::other(error)), None));
                }
            }
            let next = match icps.last() {
                Some(last) if more => Some(Some(ListCursor::of(last, ListOrder::Created))),
                _ => {
                    chunk.push(b']');
                    None
                }
            };
            Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), next))
        }
    });
    Body::from_stream(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parameters_are_checked() {
        let page = parse_list_query(Some("limit=5")).unwrap();
        assert_eq!(page.limit, 5);
        assert!(page.paged);
        assert!(!parse_list_query(None).unwrap().paged);
        assert!(!parse_list_query(Some("q=x")).unwrap().paged);
        assert!(page.after.is_none());
        assert!(page.filter.is_empty());
        assert_eq!(parse_list_query(None).unwrap().limit, DEFAULT_PAGE);
        let filtered =
            parse_list_query(Some("q=M%C3%BCnchen+SaaS&active=false&sharedWith=user_ab")).unwrap();
        assert_eq!(filtered.filter.words, ["munchen", "saas"]);
        assert_eq!(filtered.filter.active, Some(false));
        assert_eq!(filtered.filter.shared_with, UserId::parse("user_ab"));
        assert_eq!(filtered.filter_params[0], ("q", "München SaaS".to_owned()));
        let too_long = format!("q={}", "a".repeat(MAX_SEARCH_CHARS + 1));
        // 12 characters that fold to 18 each (U+FDFA): 216 once folded.
        let folds_long: String =
            url::form_urlencoded::byte_serialize("\u{FDFA}".repeat(12).as_bytes()).collect();
        let folds_long = format!("q={folds_long}");
        assert!(parse_list_query(Some(&format!("q={}", "a".repeat(MAX_SEARCH_CHARS)))).is_ok());
        for bad in [
            "limit=0",
            "limit=101",
            "limit=x",
            "cursor=zzz",
            "offset=3",
            "active=yes",
            "sharedWith=bob",
            "limit=5&limit=6",
            &too_long,
            &folds_long,
        ] {
            assert!(parse_list_query(Some(bad)).is_err(), "{bad}");
        }
    }
}
