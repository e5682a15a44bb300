//! Belta's list paging: `?page=&limit=` in, `{data, metadata: {total, page, limit}}` out.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{error::FieldErrors, extract::Validate, i18n::FieldIssue};

pub const DEFAULT_PAGE: u32 = 1;
pub const DEFAULT_LIMIT: u32 = 10;
/// Belta has no upper bound; we cap it and report the limit actually used in `metadata.limit`.
pub const MAX_LIMIT: u32 = 100;
/// Pages past this are refused instead of being computed: nobody pages a million items deep.
pub const MAX_PAGE: u32 = 100_000;

/// The paging part of a list's query string. Non-numeric or non-positive values answer 400.
#[derive(Clone, Copy, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number (default 1).
    pub page: Option<u32>,
    /// Items per page (default 10, at most 100: larger values are reduced to 100).
    pub limit: Option<u32>,
}

impl Validate for PageQuery {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.page.is_some_and(|p| !(1..=MAX_PAGE).contains(&p)) {
            errors.add(
                "page",
                FieldIssue::Range {
                    min: "1".into(),
                    max: MAX_PAGE.to_string(),
                },
            );
        }
        if self.limit == Some(0) {
            errors.add(
                "limit",
                FieldIssue::Range {
                    min: "1".into(),
                    max: MAX_LIMIT.to_string(),
                },
            );
        }
        errors.finish()
    }
}

/// The OpenAPI description of a list's `page` and `limit` query parameters, whichever query type
/// declares them: at least 1; `page` at most [`MAX_PAGE`]; a larger `limit` is accepted and reduced
/// to [`MAX_LIMIT`], so its bound is the integer's.
pub fn describe_paging(parameter: &mut utoipa::openapi::path::Parameter) {
    let maximum = match parameter.name.as_str() {
        "page" => f64::from(MAX_PAGE),
        "limit" => f64::from(u32::MAX),
        _ => return,
    };
    parameter.schema = Some(utoipa::openapi::RefOr::T(
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1.0))
            .maximum(Some(maximum))
            .build()
            .into(),
    ));
}

/// A validated page request: `page >= 1`, `1 <= limit <= MAX_LIMIT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub limit: u32,
}

impl From<PageQuery> for PageRequest {
    fn from(q: PageQuery) -> Self {
        PageRequest {
            page: q.page.unwrap_or(DEFAULT_PAGE).max(1),
            limit: q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        }
    }
}

impl PageRequest {
    pub fn offset(self) -> usize {
        (self.page as usize - 1) * self.limit as usize
    }

    /// Pages an in-memory result: `total` counts every match, `data` holds this page (empty past the end).
    pub fn paginate<T: Clone>(self, matches: &[T]) -> Page<T> {
        self.paginate_iter(matches.iter().cloned())
    }

    /// Pages a result whose size is known: only this page's items are visited.
    pub fn page_of<I: ExactSizeIterator>(self, matches: I) -> Page<I::Item> {
        let total = matches.len() as u64;
        let data = matches
            .skip(self.offset())
            .take(self.limit as usize)
            .collect();
        Page::new(data, total, self)
    }

    /// Pages a result as it is produced: every match is counted, only this page's are kept.
    pub fn paginate_iter<T>(self, matches: impl IntoIterator<Item = T>) -> Page<T> {
        let (offset, limit) = (self.offset(), self.limit as usize);
        let mut data = Vec::with_capacity(limit.min(64));
        let mut total = 0;
        for item in matches {
            if total >= offset && data.len() < limit {
                data.push(item);
            }
            total += 1;
        }
        Page::new(data, total as u64, self)
    }
}

/// A page of a list, exactly as Belta's clients read it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub metadata: PageMeta,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct PageMeta {
    /// Number of items matching the query, on every page.
    pub total: u64,
    pub page: u32,
    /// The limit actually used (after capping).
    pub limit: u32,
}

impl<T> Page<T> {
    pub fn new(data: Vec<T>, total: u64, request: PageRequest) -> Self {
        Page {
            data,
            metadata: PageMeta {
                total,
                page: request.page,
                limit: request.limit,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(page: Option<u32>, limit: Option<u32>) -> PageRequest {
        PageQuery { page, limit }.into()
    }

    #[test]
    fn defaults_are_page_1_limit_10_and_limit_is_capped() {
        assert_eq!(request(None, None), PageRequest { page: 1, limit: 10 });
        assert_eq!(
            request(Some(3), Some(500)),
            PageRequest {
                page: 3,
                limit: 100
            }
        );
    }

    #[test]
    fn zero_or_huge_values_are_refused() {
        assert!(
            PageQuery {
                page: Some(0),
                limit: None
            }
            .validate()
            .is_err()
        );
        assert!(
            PageQuery {
                page: None,
                limit: Some(0)
            }
            .validate()
            .is_err()
        );
        assert!(
            PageQuery {
                page: Some(MAX_PAGE + 1),
                limit: None
            }
            .validate()
            .is_err()
        );
        assert!(
            PageQuery {
                page: Some(2),
                limit: Some(1000)
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn paginating_reports_the_exact_total_and_an_empty_page_past_the_end() {
        let items: Vec<u32> = (1..=25).collect();
        let second = request(Some(2), Some(10)).paginate(&items);
        assert_eq!(second.data, (11..=20).collect::<Vec<_>>());
        assert_eq!(
            second.metadata,
            PageMeta {
                total: 25,
                page: 2,
                limit: 10
            }
        );
        let past = request(Some(4), Some(10)).paginate(&items);
        assert!(past.data.is_empty());
        assert_eq!(past.metadata.total, 25);
    }
}
