//! `/icps/import`: a file of ICP bodies (as an export writes them) becomes ICPs, all or none. The
//! form posts the file to `/forms/icps/import` (`forms::transfer`), so it works without
//! JavaScript; the post lands on the list, or on a report of what was refused and why.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ImportIcps() -> impl IntoView {
    view! {
        <Title text="Import ICPs" />
        <div class="page-head">
            <h1>"Import ICPs"</h1>
        </div>
        <div class="panel">
            <p>
                "Choose a JSON file with one ICP or a list of them, as “Export” on an ICP or “Export all” on your list downloads it, or as the API’s create takes it."
            </p>
            <p>
                "Every ICP in the file is checked as a create would check it. The file is imported whole or not at all: if any ICP is refused, none is stored, and you see what to fix in each. You own what you import; it is shared with the user ids in each ICP (they must be in your workspace)."
            </p>
            <form method="post" action="/forms/icps/import" enctype="multipart/form-data">
                <label for="import-file">{import_limits()}</label>
                <input
                    id="import-file"
                    type="file"
                    name="file"
                    accept=".json,application/json"
                    required
                />
                <div class="form-actions">
                    <a class="button" href="/icps">
                        "Cancel"
                    </a>
                    <button type="submit" class="button button-primary">
                        "Import"
                    </button>
                </div>
            </form>
        </div>
    }
}

/// The import's limits in words, from their constants.
fn import_limits() -> String {
    #[cfg(feature = "ssr")]
    {
        use crate::icps::transfer::{MAX_IMPORT_BYTES, MAX_IMPORT_ICPS};
        format!(
            "ICP file (JSON, up to {} and {MAX_IMPORT_ICPS} ICPs)",
            crate::domain::size_in_words(MAX_IMPORT_BYTES)
        )
    }
    #[cfg(not(feature = "ssr"))]
    String::new()
}
