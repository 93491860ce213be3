//! `GET /api/v1/events`: every change to the ICPs the caller may see, oldest first, a page at a
//! time, so an integration that was away catches up from the last event it read.

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use super::list::next_page;
use super::query::{bad_param, read_paged_query, unknown_param, Paged};
use crate::domain::Event;
use crate::state::AppState;
use axum::extract::RawQuery;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub const EVENTS_PATH: &str = "/api/v1/events";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events))
}

/// The query: how many, and after which event.
fn parse_query(query: Option<&str>) -> Result<Paged<Option<Uuid>>, ApiError> {
    read_paged_query(query, None, |after, key, value| {
        match key {
            "after" => match Uuid::parse_str(&value) {
                Ok(id) => *after = Some(id),
                Err(_) => return Err(bad_param("after", "Must be the id of an event")),
            },
            _ => return Err(unknown_param(key, "limit and after")),
        }
        Ok(())
    })
}

/// Lists the events the caller may see, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    description = "Every change to an ICP is an event (`icp.created`, `icp.updated`, `icp.deleted`, \
        `icp.restored`, `icp.owner_changed`), written with the change. The caller sees the events of \
        ICPs they were a member of at the time, while they are in its workspace. Oldest first; pass \
        the last event's `id` as `after` to read on (the `Link` header holds the next page's URL \
        while more follow). Events are kept 30 days.",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Events per page, 50 by default"),
        ("after" = Option<uuid::Uuid>, Query, description = "The id of the last event read: the page starts after it"),
    ),
    responses(
        (status = 200, description = "A page of events, oldest first", body = Vec<Event>,
            headers(("link" = String, description = "`<…?after=ID&limit=N>; rel=\"next\"` while more events follow"))),
        (status = 400, description = "A malformed `limit` or `after`, or an unknown parameter", body = ErrorBody),
        (status = 404, description = "`after` is not an event the caller may see (or it is older than 30 days)", body = ErrorBody),
    ),
)]
async fn list_events(
    Caller { user, store }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_query(query.as_deref())?;
    let Some(page) = store.events_page(&user, query.params, query.limit).await? else {
        // The id is well formed but names no event the caller may see (any more): the state of
        // the data, not a malformed request.
        return Err(ApiError::NotFound(
            "Unknown event in `after`: pass the id of an event this API listed for you (events are kept 30 days)".into(),
        ));
    };
    let mut headers = HeaderMap::new();
    let last = page.events.last().and_then(|body| event_id(body));
    if let (true, Some(last)) = (page.more, last) {
        let next = format!("{EVENTS_PATH}?after={last}&limit={}", query.limit);
        next_page(&mut headers, &next, None)?;
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok((headers, format!("[{}]", page.events.join(","))).into_response())
}

/// The `id` of an event's stored JSON (its first member, as `Event` writes it).
fn event_id(body: &str) -> Option<Uuid> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: Uuid,
    }
    serde_json::from_str::<Id>(body).ok().map(|event| event.id)
}

#[cfg(test)]
mod tests {
    use super::super::list::DEFAULT_PAGE;
    use super::*;

    #[test]
    fn the_query_is_checked() {
        assert_eq!(
            parse_query(None).unwrap(),
            Paged {
                limit: DEFAULT_PAGE,
                params: None
            }
        );
        let id = Uuid::now_v7();
        assert_eq!(
            parse_query(Some(&format!("limit=3&after={id}"))).unwrap(),
            Paged {
                limit: 3,
                params: Some(id)
            }
        );
        for bad in [
            "limit=0",
            "limit=101",
            "after=7",
            "limit=2&limit=3",
            "since=1",
        ] {
            assert!(parse_query(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_event_id_is_read_from_its_text() {
        let id = Uuid::now_v7();
        let body = format!(r#"{{"id":"{id}","type":"icp.created","data":{{"icp":{{}}}}}}"#);
        assert_eq!(event_id(&body), Some(id));
    }
}
