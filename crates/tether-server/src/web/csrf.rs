//! The one check every form post goes through against cross-site request forgery.

use axum::http::HeaderMap;

use super::page::UiError;

/// Forms are posted from tether's own pages only. Browsers say where a request
/// comes from in `Sec-Fetch-Site`; other clients send nothing.
pub(crate) fn refuse_cross_site(headers: &HeaderMap) -> Result<(), UiError> {
    let from = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).unwrap_or("none");
    if from == "cross-site" || from == "same-site" {
        return Err(UiError::Forbidden(
            "tether's forms can only be posted from tether's own pages".to_owned(),
        ));
    }
    Ok(())
}
