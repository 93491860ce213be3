//! Export and import in the browser (the rules are in `icps::transfer`): downloads of one ICP or
//! all of them as JSON, and the import form's post (`multipart/form-data`, so it works without
//! JavaScript), which lands on the list or answers a report of what was refused and why.

use super::icps::{refused, signed_in_or_redirect, IcpCaller};
use super::{escaped, page_html};
use crate::icps::transfer::{self, Imported};
use crate::icps::{self};
use crate::state::AppState;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/icps/export", get(export_all))
        .route("/icps/{id}/export", get(export_one))
        // Its body is held to `MAX_IMPORT_BYTES` by `forms::bounded_body`, not axum's 2 MB default.
        .route(
            "/forms/icps/import",
            post(import).layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

/// A JSON download named `file_name`.
fn download(json: &Value, file_name: &str) -> Response {
    (
        download_headers(file_name),
        serde_json::to_string_pretty(json).unwrap_or_default(),
    )
        .into_response()
}

/// The headers of a JSON download named `file_name`.
fn download_headers(file_name: &str) -> [(header::HeaderName, HeaderValue); 3] {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

/// A file name from an ICP's name: letters and digits, the rest as single dashes.
fn file_stem(name: &str) -> String {
    let mut stem = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            stem.push(c);
        } else if !stem.is_empty() && !stem.ends_with('-') {
            stem.push('-');
        }
    }
    let stem: String = stem.trim_end_matches('-').chars().take(60).collect();
    if stem.is_empty() {
        "icp".to_owned()
    } else {
        stem
    }
}

async fn export_all(State(state): State<AppState>, session: Session) -> Result<Response, Response> {
    let user = signed_in_or_redirect(&session, "/icps").await?;
    // Written as it is read, a page at a time: an export of 100,000 ICPs holds a page in memory.
    let write = |out: &mut Vec<u8>, icp: &crate::domain::Icp| {
        out.push(b'\n');
        serde_json::to_writer_pretty(out, &transfer::export_body(icp))
    };
    let day = chrono::Utc::now().format("%Y-%m-%d");
    let body = crate::api::list::every_icp(state.store.clone(), user, write);
    Ok((download_headers(&format!("icps-{day}.json")), body).into_response())
}

async fn export_one(
    State(state): State<AppState>,
    IcpCaller { user, id }: IcpCaller,
) -> Result<Response, Response> {
    let icp = icps::get_for(state.store.as_ref(), &user, id)
        .await
        .map_err(refused)?;
    let file_name = format!("{}.json", file_stem(&icp.name));
    Ok(download(&transfer::export_body(&icp), &file_name))
}

/// The posted file's bytes (the form's `file` field).
async fn posted_file(mut form: Multipart) -> Result<Vec<u8>, &'static str> {
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| "The upload could not be read.")?
    {
        if field.name() == Some("file") {
            let bytes = field
                .bytes()
                .await
                .map_err(|_| "The upload could not be read.")?;
            return Ok(bytes.to_vec());
        }
    }
    Err("Choose a file to import.")
}

async fn import(
    State(state): State<AppState>,
    session: Session,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let user = match signed_in_or_redirect(&session, "/icps/import").await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    let file = match form {
        Ok(form) => posted_file(form).await,
        Err(_) => Err("The form was not sent as a file upload."),
    };
    let file = match file {
        Ok(file) => file,
        Err(message) => {
            return report(StatusCode::BAD_REQUEST, "Nothing was imported", message, "")
        }
    };
    match transfer::import(state.store.as_ref(), &user, file).await {
        Ok(Imported::All(count)) => {
            Redirect::to(&format!("/icps?imported={count}")).into_response()
        }
        Ok(Imported::Unreadable(message)) => report(
            StatusCode::BAD_REQUEST,
            "Nothing was imported",
            &message,
            "",
        ),
        Ok(Imported::Nothing(rows)) => {
            let refused = rows.iter().filter(|row| !row.problems.is_empty()).count();
            let items = report_items(&rows);
            let of = rows.len();
            report(
                StatusCode::BAD_REQUEST,
                "Nothing was imported",
                &format!(
                    "{refused} of the {of} ICPs in the file {} refused, so none was stored. \
                     Fix them and import the file again.",
                    if refused == 1 { "was" } else { "were" }
                ),
                &format!("<ol class=\"import-report\">{items}</ol>"),
            )
        }
        Err(error) => refused(error),
    }
}

/// Problems the report lists at most for one ICP, and ICPs it lists at most: a file of 1,000
/// refused ICPs with a hundred problems each would make a page of hundreds of megabytes.
const REPORT_PROBLEMS: usize = 11;
const REPORT_ICPS: usize = 200;

/// The report's list, an item per ICP (numbered from 1, as the builder numbers rows): "fine", or
/// its first problems; past `REPORT_ICPS`, one line saying how many more were refused.
fn report_items(rows: &[transfer::ImportRow]) -> String {
    let mut items = String::new();
    for (index, row) in rows.iter().enumerate().take(REPORT_ICPS) {
        let name = row
            .name
            .as_deref()
            .map(|name| format!(" “{}”", escaped(name)))
            .unwrap_or_default();
        items.push_str(&format!("<li>ICP {}{name}: ", index + 1));
        if row.problems.is_empty() {
            items.push_str("<span class=\"import-ok\">fine</span></li>");
            continue;
        }
        items.push_str("<span class=\"import-refused\">refused</span><ul>");
        for problem in row.problems.iter().take(REPORT_PROBLEMS) {
            let at = problem.field_key();
            let at = if at.is_empty() { "body".to_owned() } else { at };
            items.push_str(&format!(
                "<li><code>{}</code>: {}</li>",
                escaped(&at),
                escaped(&problem.message)
            ));
        }
        if row.problems.len() > REPORT_PROBLEMS {
            items.push_str(&format!(
                "<li>and {} more problems</li>",
                row.problems.len() - REPORT_PROBLEMS
            ));
        }
        items.push_str("</ul></li>");
    }
    let unlisted = rows.iter().skip(REPORT_ICPS);
    let unlisted_refused = unlisted.filter(|row| !row.problems.is_empty()).count();
    if rows.len() > REPORT_ICPS {
        items.push_str(&format!(
            "<li>ICPs {} to {}: {unlisted_refused} more refused, not listed</li>",
            REPORT_ICPS + 1,
            rows.len()
        ));
    }
    items
}

/// The import's answer page: `text` (escaped), then `list_html`, then the ways on.
fn report(status: StatusCode, title: &str, text: &str, list_html: &str) -> Response {
    page_html(
        status,
        title,
        &format!(
            "<p role=\"alert\">{}</p>{list_html}<p><a href=\"/icps/import\">Import another file</a></p>",
            escaped(text)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_icp_names() {
        assert_eq!(file_stem("DACH Tech Leaders (Q3)"), "dach-tech-leaders-q3");
        assert_eq!(file_stem("  ***  "), "icp");
        assert_eq!(file_stem("Käufer/München"), "k-ufer-m-nchen");
    }
}
