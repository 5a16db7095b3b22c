//! Query strings: the list parameters every list shares (`page_size`, `page_token`,
//! `sort`, `q`), the resource's own filters, and value parsing with errors that name their
//! parameter. Unknown parameters are refused (400); a filter documented as an array takes
//! its values repeated (`status=a&status=b`), comma-separated (`status=a,b`) or both.

use std::future::{ready, Ready};
use std::marker::PhantomData;
use std::str::FromStr;

use actix_web::{FromRequest, HttpRequest};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, Required};
use utoipa::IntoParams;

use crate::core::error::{DomainError, FieldCode};
use crate::core::paging::{
    FixedOrder, PageRequest, Sort, SortField, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
};

/// How a list's `q` search is documented: what it matches, and an example.
pub struct SearchDoc {
    pub description: &'static str,
    pub example: &'static str,
}

/// A resource's list filters as they arrive: a struct of optional strings that denies
/// unknown fields and documents each parameter (`IntoParams`), and its parsing into the
/// filter the service takes. `q`, `sort` and the paging parameters are the kit's.
pub trait ListFilter: DeserializeOwned + IntoParams {
    /// The parsed filter.
    type Parsed;
    /// `Some` when the list takes a `q` search.
    const SEARCH: Option<SearchDoc>;

    /// Parses the raw values; `search` holds the words of `q`, if given.
    fn parse(self, search: Option<Vec<String>>) -> Result<Self::Parsed, DomainError>;

    /// A sort that the list's filter gives rather than a field (laboratories by distance
    /// from `near`): the `sort` value naming it, and what it needs, for its documentation
    /// and its 400s.
    const FILTER_ORDER: Option<FilterOrderDoc> = None;

    /// When the parsed filter orders the list itself: the name its page tokens carry, which
    /// holds the filter's own parameters so that a token serves only the list it came from.
    fn filter_order(_parsed: &Self::Parsed) -> Option<String> {
        None
    }
}

/// How a sort given by the filter is named and documented.
pub struct FilterOrderDoc {
    /// The `sort` value (`distance`).
    pub sort: &'static str,
    /// The parameter it needs (`near`).
    pub needs: &'static str,
    /// What it orders by, for the `sort` parameter's description.
    pub description: &'static str,
}

/// The parameters of one list request: the resource's filter, the sort and the page.
#[derive(Debug)]
pub struct ListQuery<F: ListFilter, S> {
    pub filter: F::Parsed,
    pub sort: Sort<S>,
    pub page: PageRequest,
}

/// The parameters the kit takes itself, before the resource's filter sees the rest.
#[derive(Default)]
struct Common {
    page_size: Option<String>,
    page_token: Option<String>,
    sort: Option<String>,
    q: Option<String>,
}

/// Splits a query string into the common parameters and the filter's, grouping repeated
/// filter keys whose parameter is an array. No stored text can hold NUL (PostgreSQL refuses
/// it), so no parameter may carry it.
fn split_query(
    query: &str,
    multi_valued: &[String],
    takes_search: bool,
) -> Result<(Common, Vec<(String, String)>), DomainError> {
    let mut common = Common::default();
    let mut rest: Vec<(String, String)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name.contains('\0') || value.contains('\0') {
            return Err(DomainError::bad_parameter(
                &name,
                FieldCode::Invalid,
                "must not contain the NUL character (U+0000)",
            ));
        }
        let slot = match name.as_ref() {
            "page_size" => Some(&mut common.page_size),
            "page_token" => Some(&mut common.page_token),
            "sort" => Some(&mut common.sort),
            "q" if takes_search => Some(&mut common.q),
            _ => None,
        };
        if let Some(slot) = slot {
            if slot.is_some() {
                return Err(duplicate(&name));
            }
            *slot = Some(value.into_owned());
            continue;
        }
        match rest.iter_mut().find(|(seen, _)| *seen == name) {
            Some((_, values)) if multi_valued.iter().any(|m| *m == name) => {
                values.push(',');
                values.push_str(&value);
            }
            Some(_) => return Err(duplicate(&name)),
            None => rest.push((name.into_owned(), value.into_owned())),
        }
    }
    Ok((common, rest))
}

fn duplicate(name: &str) -> DomainError {
    DomainError::bad_parameter(
        name,
        FieldCode::DuplicateParameter,
        "the parameter is given more than once and takes one value",
    )
}

/// The names of a filter's array parameters, read from its own documentation.
fn multi_valued<F: IntoParams>() -> Vec<String> {
    F::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .filter(|parameter| matches!(&parameter.schema, Some(RefOr::T(Schema::Array(_)))))
        .map(|parameter| parameter.name)
        .collect()
}

/// Deserializes the filter's parameters, naming an unknown one in the 400.
fn deserialize_filter<F: DeserializeOwned>(pairs: Vec<(String, String)>) -> Result<F, DomainError> {
    // Re-encoded so serde_urlencoded reads each value as an optional string.
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    serde_urlencoded::from_str::<F>(&encoded).map_err(|error| {
        let message = error.to_string();
        match message.split('`').nth(1) {
            Some(name) if message.starts_with("unknown field") => DomainError::bad_parameter(
                name,
                FieldCode::UnknownParameter,
                "unknown query parameter",
            ),
            Some(name) if message.starts_with("missing field") => {
                DomainError::bad_parameter(name, FieldCode::Required, "the parameter is required")
            }
            _ => DomainError::bad_request(format!("the query string is invalid: {message}")),
        }
    })
}

impl<F: ListFilter, S: SortField> ListQuery<F, S> {
    pub fn parse(query: &str) -> Result<Self, DomainError> {
        let (common, rest) = split_query(query, &multi_valued::<F>(), F::SEARCH.is_some())?;
        let raw: F = deserialize_filter(rest)?;
        let search = parse_search(&common.q)?;
        let filter = raw.parse(search)?;
        let given = common.sort.as_deref().map(str::trim);
        let (sort, token_name) = match (F::FILTER_ORDER, F::filter_order(&filter)) {
            (Some(order), Some(token_name)) => {
                // The filter orders the list: `sort` may only name that order.
                match given {
                    None => {}
                    Some(name) if name == order.sort => {}
                    Some(_) => {
                        return Err(DomainError::bad_parameter(
                            "sort",
                            FieldCode::Invalid,
                            format!(
                                "with `{}` the list is ordered by `{}`; leave `sort` out or give \
                                 `sort={}`",
                                order.needs, order.sort, order.sort
                            ),
                        ))
                    }
                }
                (Sort::<S>::parse(&None)?, token_name)
            }
            (Some(order), None) if given == Some(order.sort) => {
                return Err(DomainError::bad_parameter(
                    "sort",
                    FieldCode::Invalid,
                    format!("`sort={}` needs `{}`", order.sort, order.needs),
                ))
            }
            _ => {
                let sort = Sort::<S>::parse(&common.sort)?;
                let token_name = sort.token_name();
                (sort, token_name)
            }
        };
        let page = PageRequest::parse(&common.page_size, &common.page_token, &token_name)?;
        Ok(Self { filter, sort, page })
    }
}

impl<F: ListFilter, S: SortField> FromRequest for ListQuery<F, S> {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Self::parse(req.query_string()))
    }
}

fn query_parameter(
    name: &str,
    description: String,
    schema: impl Into<RefOr<Schema>>,
    example: Option<serde_json::Value>,
) -> Parameter {
    #[allow(deprecated)]
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .example(example)
        .build()
}

/// `page_size` and `page_token`, as every paged list documents them.
fn page_parameters() -> [Parameter; 2] {
    [
        query_parameter(
            "page_size",
            format!("Rows per page, 1–{MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."),
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Int32,
                )))
                .minimum(Some(1))
                .maximum(Some(MAX_PAGE_SIZE)),
            Some(DEFAULT_PAGE_SIZE.into()),
        ),
        query_parameter(
            "page_token",
            "`next_page_token` of the previous page.".to_owned(),
            ObjectBuilder::new().schema_type(Type::String),
            None,
        ),
    ]
}

/// The `sort` parameter: its allowed values come from the resource's sort declaration (and
/// the order its filter may give).
fn sort_parameter<S: SortField>(filter_order: Option<FilterOrderDoc>) -> Parameter {
    let names: Vec<String> = S::ALL
        .iter()
        .map(|(name, field)| {
            let mut text = format!("`{name}`");
            if *field == S::DEFAULT {
                text.push_str(" (default)");
            }
            if let Some((_, note)) = S::NOTES.iter().find(|(noted, _)| noted == name) {
                text.push_str(&format!(" ({note})"));
            }
            text
        })
        .collect();
    let mut values: Vec<String> = S::ALL
        .iter()
        .flat_map(|(name, _)| [name.to_string(), format!("-{name}")])
        .collect();
    let mut description = format!(
        "Sort field: {}; prefix `-` for descending. The id breaks ties.",
        names.join(", ")
    );
    if let Some(order) = filter_order {
        values.push(order.sort.to_owned());
        description.push_str(&format!(
            " `{}` ({}) needs `{}`, and is the order whenever `{}` is given.",
            order.sort, order.description, order.needs, order.needs
        ));
    }
    query_parameter(
        "sort",
        description,
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values)),
        Some(S::DEFAULT.name().into()),
    )
}

impl<F: ListFilter, S: SortField> IntoParams for ListQuery<F, S> {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut parameters = F::into_params(parameter_in);
        if let Some(search) = F::SEARCH {
            parameters.push(query_parameter(
                "q",
                search.description.to_owned(),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(MAX_SEARCH_LENGTH))
                    // Blank text is refused (400).
                    .pattern(Some(r"\S")),
                Some(search.example.into()),
            ));
        }
        parameters.push(sort_parameter::<S>(F::FILTER_ORDER));
        parameters.extend(page_parameters());
        parameters
    }
}

/// The parameters of a list in one fixed order: `page_size` and `page_token` only.
#[derive(Debug)]
pub struct PageQuery<S> {
    pub page: PageRequest,
    order: PhantomData<S>,
}

impl<S: FixedOrder> FromRequest for PageQuery<S> {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        ready(
            split_query(req.query_string(), &[], false).and_then(|(common, rest)| {
                if common.sort.is_some() {
                    return Err(DomainError::bad_parameter(
                        "sort",
                        FieldCode::UnknownParameter,
                        "unknown query parameter",
                    ));
                }
                if let Some((name, _)) = rest.first() {
                    return Err(DomainError::bad_parameter(
                        name,
                        FieldCode::UnknownParameter,
                        "unknown query parameter",
                    ));
                }
                let page = PageRequest::parse(&common.page_size, &common.page_token, S::NAME)?;
                Ok(PageQuery {
                    page,
                    order: PhantomData,
                })
            }),
        )
    }
}

impl<S> IntoParams for PageQuery<S> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        page_parameters().into()
    }
}

/// Parses a single value.
pub fn parse_one<T: FromStr>(parameter: &str, raw: &str, expected: &str) -> Result<T, DomainError> {
    raw.trim().parse::<T>().map_err(|_| {
        DomainError::bad_parameter(
            parameter,
            FieldCode::Invalid,
            format!("`{raw}` is not {expected}"),
        )
    })
}

/// Parses an optional single value.
pub fn parse_opt<T: FromStr>(
    parameter: &str,
    raw: &Option<String>,
    expected: &str,
) -> Result<Option<T>, DomainError> {
    raw.as_deref()
        .map(|value| parse_one(parameter, value, expected))
        .transpose()
}

/// Parses a comma-separated "any of" list; an empty result is refused.
pub fn parse_list<T: FromStr>(
    parameter: &str,
    raw: &Option<String>,
    expected: &str,
) -> Result<Option<Vec<T>>, DomainError> {
    let Some(raw) = raw else { return Ok(None) };
    let values = raw
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| parse_one(parameter, v, expected))
        .collect::<Result<Vec<T>, _>>()?;
    if values.is_empty() {
        return Err(DomainError::bad_parameter(
            parameter,
            FieldCode::Invalid,
            "give at least one value",
        ));
    }
    Ok(Some(values))
}

/// Parses a comma-separated "any of" list of ids of one resource.
pub fn parse_id_list<T: crate::core::ids::ResourceId>(
    parameter: &str,
    raw: &Option<String>,
) -> Result<Option<Vec<T>>, DomainError> {
    let article = if T::RESOURCE.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let expected = format!("{article} {} id (UUID)", T::RESOURCE);
    Ok(parse_list::<uuid::Uuid>(parameter, raw, &expected)?
        .map(|ids| ids.into_iter().map(T::from_uuid).collect()))
}

pub fn parse_bool(parameter: &str, raw: &Option<String>) -> Result<Option<bool>, DomainError> {
    match raw.as_deref().map(str::trim) {
        None => Ok(None),
        Some("true") | Some("1") => Ok(Some(true)),
        Some("false") | Some("0") => Ok(Some(false)),
        Some(other) => Err(DomainError::bad_parameter(
            parameter,
            FieldCode::Invalid,
            format!("`{other}` is not a boolean (true or false)"),
        )),
    }
}

/// A date (`YYYY-MM-DD`) within `validation::DATE_YEARS`, as in bodies.
/// The date is read exactly as in bodies (`validation::members::parse_date`), and refused in
/// the same words.
pub fn parse_date(parameter: &str, raw: &Option<String>) -> Result<Option<NaiveDate>, DomainError> {
    let date = raw
        .as_deref()
        .map(|text| {
            crate::validation::members::parse_date(text).ok_or_else(|| {
                DomainError::bad_parameter(
                    parameter,
                    "invalid",
                    format!(
                        "{} (got `{}`)",
                        crate::validation::members::DATE_MESSAGE,
                        crate::core::error::echo(text)
                    ),
                )
            })
        })
        .transpose()?;
    match date {
        Some(date) if !crate::validation::date_in_range(date) => Err(DomainError::bad_parameter(
            parameter,
            FieldCode::OutOfRange,
            crate::validation::date_range_message(),
        )),
        _ => Ok(date),
    }
}

/// A value matched exactly ignoring case (a serial or certificate number), as its
/// `validation::code_key`: at most `max` characters, not blank.
pub fn parse_code_key(
    parameter: &str,
    raw: &Option<String>,
    max: usize,
) -> Result<Option<String>, DomainError> {
    match raw.as_deref() {
        None => Ok(None),
        Some(value) if value.chars().count() > max => Err(DomainError::bad_parameter(
            parameter,
            FieldCode::TooLong,
            format!("must be at most {max} characters"),
        )),
        Some(value) if value.trim().is_empty() => Err(DomainError::bad_parameter(
            parameter,
            FieldCode::Invalid,
            "give a value to match",
        )),
        Some(value) => Ok(Some(crate::validation::code_key(value.trim()))),
    }
}

/// Country codes are ISO 3166-1 alpha-2, upper case, and must exist.
pub fn parse_country_list(
    parameter: &str,
    raw: &Option<String>,
) -> Result<Option<Vec<String>>, DomainError> {
    let Some(codes) = parse_list::<String>(parameter, raw, "a country code")? else {
        return Ok(None);
    };
    for code in &codes {
        if !crate::validation::is_country_code(code) {
            return Err(DomainError::bad_parameter(
                parameter,
                FieldCode::Invalid,
                format!("`{code}` is not an ISO 3166-1 alpha-2 country code"),
            ));
        }
    }
    Ok(Some(codes))
}

/// Most words a `q` search may hold: each one is a lookup of its own.
pub const MAX_SEARCH_TERMS: usize = 8;

/// Longest `q` search, in characters.
pub const MAX_SEARCH_LENGTH: usize = 200;

/// The words of a `q` search, normalized the way search columns are filled
/// (`validation::search_terms`). Text without a letter or digit gives no words, and
/// matches nothing.
pub fn parse_search(raw: &Option<String>) -> Result<Option<Vec<String>>, DomainError> {
    match raw.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Err(DomainError::bad_parameter(
            "q",
            FieldCode::Invalid,
            "the search text is empty",
        )),
        Some(text) if text.chars().count() > MAX_SEARCH_LENGTH => Err(DomainError::bad_parameter(
            "q",
            FieldCode::TooLong,
            "the search text is longer than 200 characters",
        )),
        Some(text) => {
            let terms = crate::validation::search_terms(text);
            if terms.len() > MAX_SEARCH_TERMS {
                return Err(DomainError::bad_parameter(
                    "q",
                    FieldCode::TooManyWords,
                    format!("the search text has more than {MAX_SEARCH_TERMS} words"),
                ));
            }
            Ok(Some(terms))
        }
    }
}

/// The parameters of a filtered list in one fixed order: the resource's filter with
/// `page_size` and `page_token` (no `sort`, no `q`).
#[derive(Debug)]
pub struct FilteredPageQuery<F: ListFilter, S> {
    pub filter: F::Parsed,
    pub page: PageRequest,
    order: PhantomData<S>,
}

impl<F: ListFilter, S: FixedOrder> FilteredPageQuery<F, S> {
    pub fn parse(query: &str) -> Result<Self, DomainError> {
        let (common, rest) = split_query(query, &multi_valued::<F>(), false)?;
        if common.sort.is_some() {
            return Err(DomainError::bad_parameter(
                "sort",
                FieldCode::UnknownParameter,
                "unknown query parameter",
            ));
        }
        let raw: F = deserialize_filter(rest)?;
        let filter = raw.parse(None)?;
        let page = PageRequest::parse(&common.page_size, &common.page_token, S::NAME)?;
        Ok(Self {
            filter,
            page,
            order: PhantomData,
        })
    }
}

impl<F: ListFilter, S: FixedOrder> FromRequest for FilteredPageQuery<F, S> {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Self::parse(req.query_string()))
    }
}

impl<F: ListFilter, S> IntoParams for FilteredPageQuery<F, S> {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut parameters = F::into_params(parameter_in);
        parameters.extend(page_parameters());
        parameters
    }
}

/// The parameters of an answer that is not a list: the filter's own, without paging, `sort`
/// or `q` (each refused as unknown).
#[derive(Debug)]
pub struct FilterQuery<F: ListFilter> {
    pub filter: F::Parsed,
}

impl<F: ListFilter> FilterQuery<F> {
    pub fn parse(query: &str) -> Result<Self, DomainError> {
        let (common, rest) = split_query(query, &multi_valued::<F>(), false)?;
        for (name, given) in [
            ("page_size", common.page_size.is_some()),
            ("page_token", common.page_token.is_some()),
            ("sort", common.sort.is_some()),
        ] {
            if given {
                return Err(DomainError::bad_parameter(
                    name,
                    FieldCode::UnknownParameter,
                    "unknown query parameter",
                ));
            }
        }
        let raw: F = deserialize_filter(rest)?;
        Ok(Self {
            filter: raw.parse(None)?,
        })
    }
}

impl<F: ListFilter> FromRequest for FilterQuery<F> {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Self::parse(req.query_string()))
    }
}

impl<F: ListFilter> IntoParams for FilterQuery<F> {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        F::into_params(parameter_in)
    }
}
