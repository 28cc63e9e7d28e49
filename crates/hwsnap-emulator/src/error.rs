//! [`ApiError`]: everything a route can refuse, turned into the cloud's own
//! error JSON only here, at the edge: DWS `{"error_code","error_msg"}`, CSS
//! `{"errCode","externalMessage"}`, the API gateway
//! `{"error_code","error_msg","request_id"}`, and `{"error"}` for the control API.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::model::RuleViolation;

/// A refused request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// Gateway: missing/malformed/wrong signature, unknown AK (APIGW.0301, 401).
    #[error("Incorrect IAM authentication information: {0}")]
    Auth(&'static str),
    /// Gateway: `X-Sdk-Date` missing, malformed or more than 15 min off (APIGW.0303, 401).
    #[error("Incorrect app authentication information: {0}")]
    Date(&'static str),
    /// Gateway: the AK is locked after repeated failures (APIGW.0301, 401).
    #[error(
        "Incorrect IAM authentication information: access key locked after repeated signature failures"
    )]
    Locked,
    /// Gateway: project id in the path is not the caller's (APIGW.0302, 403).
    #[error("The IAM user is not authorized to access the API: project id mismatch")]
    ProjectMismatch,
    /// Gateway: no such API (APIGW.0101, 404).
    #[error("The API does not exist or has not been published in the environment")]
    NoRoute,
    /// DWS: bad parameter or malformed JSON (DWS.0001, 400).
    #[error("Invalid request parameter: {0}")]
    DwsInvalid(String),
    /// DWS: cluster does not exist (DWS.0047, 404).
    #[error("The cluster does not exist.")]
    DwsClusterNotFound,
    /// DWS: snapshot not found on show (DWS.5149, 400).
    #[error("The snapshot does not exist.")]
    DwsSnapshotNotFound,
    /// DWS: snapshot already deleted, on delete (DWS.0001, 400).
    #[error("The snapshot does not exist or has been deleted.")]
    DwsSnapshotGone,
    /// DWS: the cluster's state does not allow the operation (DWS.7023, 403).
    #[error("The cluster status does not allow this operation: a snapshot is being created.")]
    DwsBusy,
    /// CSS: bad parameter or malformed JSON (CSS.0001, 400).
    #[error("Invalid parameter: {0}")]
    CssInvalid(String),
    /// CSS: cluster or snapshot not found (CSS.0015, 403).
    #[error("No resources are found or the access is denied.")]
    CssNotFound,
    /// CSS: another operation is running on the cluster (CSS.0011, 409).
    #[error("Another operation is being performed on the cluster. Try again later.")]
    CssBusy,
    /// Control API: no such object (404).
    #[error("{0}")]
    ControlNotFound(String),
    /// Control API: bad request (400).
    #[error("{0}")]
    ControlInvalid(String),
    /// Control API: the body is not declared `application/json` (415).
    #[error("{0}")]
    ControlMediaType(String),
}

impl ApiError {
    /// A DWS rule violation.
    pub fn dws_rule(v: RuleViolation) -> Self {
        ApiError::DwsInvalid(v.to_string())
    }

    /// A CSS rule violation.
    pub fn css_rule(v: RuleViolation) -> Self {
        ApiError::CssInvalid(v.to_string())
    }

    /// HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Auth(_) | ApiError::Date(_) | ApiError::Locked => StatusCode::UNAUTHORIZED,
            ApiError::ProjectMismatch | ApiError::DwsBusy | ApiError::CssNotFound => {
                StatusCode::FORBIDDEN
            }
            ApiError::NoRoute | ApiError::DwsClusterNotFound | ApiError::ControlNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            ApiError::DwsInvalid(_)
            | ApiError::DwsSnapshotNotFound
            | ApiError::DwsSnapshotGone
            | ApiError::CssInvalid(_)
            | ApiError::ControlInvalid(_) => StatusCode::BAD_REQUEST,
            ApiError::CssBusy => StatusCode::CONFLICT,
            ApiError::ControlMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    /// The cloud's error code, e.g. `DWS.0047`; `None` for the control API.
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            ApiError::Auth(_) | ApiError::Locked => "APIGW.0301",
            ApiError::Date(_) => "APIGW.0303",
            ApiError::ProjectMismatch => "APIGW.0302",
            ApiError::NoRoute => "APIGW.0101",
            ApiError::DwsInvalid(_) | ApiError::DwsSnapshotGone => "DWS.0001",
            ApiError::DwsClusterNotFound => "DWS.0047",
            ApiError::DwsSnapshotNotFound => "DWS.5149",
            ApiError::DwsBusy => "DWS.7023",
            ApiError::CssInvalid(_) => "CSS.0001",
            ApiError::CssNotFound => "CSS.0015",
            ApiError::CssBusy => "CSS.0011",
            ApiError::ControlNotFound(_)
            | ApiError::ControlInvalid(_)
            | ApiError::ControlMediaType(_) => return None,
        })
    }
}

/// A request id like the gateway's (32 hex digits).
pub fn request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let msg = self.to_string();
        let body = match (self.code(), &self) {
            (None, _) => json!({ "error": msg }),
            (
                Some(code),
                ApiError::Auth(_)
                | ApiError::Date(_)
                | ApiError::Locked
                | ApiError::ProjectMismatch
                | ApiError::NoRoute,
            ) => json!({ "error_code": code, "error_msg": msg, "request_id": request_id() }),
            (Some(code), ApiError::CssInvalid(_) | ApiError::CssNotFound | ApiError::CssBusy) => {
                json!({ "errCode": code, "externalMessage": msg })
            }
            (Some(code), _) => json!({ "error_code": code, "error_msg": msg }),
        };
        (self.status(), Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(e: ApiError) -> (StatusCode, serde_json::Value) {
        let r = e.into_response();
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn each_service_has_its_own_shape() {
        let (s, b) = body(ApiError::DwsClusterNotFound).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(b["error_code"], "DWS.0047");
        assert!(b["error_msg"].is_string());

        let (s, b) = body(ApiError::CssBusy).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(b["errCode"], "CSS.0011");
        assert!(b["externalMessage"].is_string());

        let (s, b) = body(ApiError::Auth("verify aksk signature fail")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(b["error_code"], "APIGW.0301");
        assert_eq!(b["request_id"].as_str().unwrap().len(), 32);

        let (s, b) = body(ApiError::ControlNotFound("no such cluster".into())).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(b["error"], "no such cluster");
    }
}
