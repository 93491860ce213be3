//! Export and import in the browser (the rules are in `icps::transfer`): downloads of one ICP or
//! all of them as JSON, and the import form's post (`multipart/form-data`, so it works without
//! JavaScript), which lands on the list or answers a report of what was refused and why.

use super::icps::{refused, signed_in_or_redirect, signed_in_with_icp};
use super::{escaped, page_html};
use crate::icps::transfer::{self, Imported};
use crate::icps::{self};
use crate::state::AppState;
use axum::extract::{Multipart, Path, State};
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
        .route("/forms/icps/import", post(import))
}

/// A JSON download named `file_name`.
fn download(json: &Value, file_name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        serde_json::to_string_pretty(json).unwrap_or_default(),
    )
        .into_response()
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

async fn export_all(State(state): State<AppState>, session: Session) -> Response {
    let user = match signed_in_or_redirect(&session, "/icps").await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    match transfer::export_all(state.store.as_ref(), &user).await {
        Ok(bodies) => {
            let day = chrono::Utc::now().format("%Y-%m-%d");
            download(&Value::Array(bodies), &format!("icps-{day}.json"))
        }
        Err(error) => refused(error),
    }
}

async fn export_one(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let (user, id) = match signed_in_with_icp(&session, &id).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    match icps::get_for(state.store.as_ref(), &user, id).await {
        Ok(icp) => download(
            &transfer::export_body(&icp),
            &format!("{}.json", file_stem(&icp.name)),
        ),
        Err(error) => refused(error),
    }
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
        Ok(Imported::All(icps)) => {
            Redirect::to(&format!("/icps?imported={}", icps.len())).into_response()
        }
        Ok(Imported::Unreadable(message)) => report(
            StatusCode::BAD_REQUEST,
            "Nothing was imported",
            &message,
            "",
        ),
        Ok(Imported::Nothing(rows)) => {
            let refused = rows.iter().filter(|row| !row.problems.is_empty()).count();
            let items: String = rows
                .iter()
                .enumerate()
                .map(|(index, row)| {
                    let name = row
                        .name
                        .as_deref()
                        .map(|name| format!(" “{}”", escaped(name)))
                        .unwrap_or_default();
                    let verdict = if row.problems.is_empty() {
                        "<span class=\"import-ok\">fine</span>".to_owned()
                    } else {
                        let problems: String = row
                            .problems
                            .iter()
                            .map(|problem| {
                                let at = problem.field_key();
                                let at = if at.is_empty() { "body".to_owned() } else { at };
                                format!(
                                    "<li><code>{}</code>: {}</li>",
                                    escaped(&at),
                                    escaped(&problem.message)
                                )
                            })
                            .collect();
                        format!("<span class=\"import-refused\">refused</span><ul>{problems}</ul>")
                    };
                    format!("<li>ICP {}{name}: {verdict}</li>", index + 1)
                })
                .collect();
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
