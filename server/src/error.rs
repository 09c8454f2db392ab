//! One error type for the JSON API, mapped to HTTP in one place. Database
//! details are logged, never sent.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every 4xx/5xx answer of `/api/v1`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `invalid`, `not_found`, `conflict`, `already_rated`,
    /// `expired`, `unauthorized`, `forbidden`, `bad_request`, `unsupported_media_type`,
    /// `payload_too_large`, `internal`.
    pub error: &'static str,
    /// A sentence for people.
    pub message: String,
    /// The input field the error is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error,
                message: message.into(),
                field: None,
            },
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.body.field = Some(field.into());
        self
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a valid API key as `Authorization: Bearer <key>`",
        )
    }
}

impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> ApiError {
        use store::Error as E;
        match e {
            E::NotFound(what) => ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found")),
            E::Invalid { field, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{field}: {message}")).field(field)
            }
            E::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            E::AlreadyRated => ApiError::new(StatusCode::CONFLICT, "already_rated", "this has already been rated"),
            E::Expired => ApiError::new(StatusCode::GONE, "expired", "the rating link has expired"),
            E::Unauthorized => ApiError::unauthorized(),
            E::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role or scope does not cover this"),
            E::Db(db) => {
                tracing::error!(error = %db, "database error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; it has been logged")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        res
    }
}
