//! Newtype ids, one per resource, so ids of different resources cannot be swapped.

use crate::core::error::DomainError;

/// What the kit needs of a resource's id: its resource name and its UUID.
pub trait ResourceId: Copy + Send + 'static {
    /// The resource's name in messages (`vendor`, `laboratory`).
    const RESOURCE: &'static str;

    fn from_uuid(id: uuid::Uuid) -> Self;

    fn uuid(self) -> uuid::Uuid;

    /// Parses an id given in a path. Only the canonical form (hyphenated, lower case, as
    /// every response writes it) names a resource, so each resource has one URL; any other
    /// text, braced, `urn:uuid:` or bare hex forms included, names none (404).
    fn parse(raw: &str) -> Result<Self, DomainError> {
        match uuid::Uuid::try_parse(raw) {
            Ok(id) if id.hyphenated().to_string() == raw => Ok(Self::from_uuid(id)),
            _ => Err(DomainError::NotFound(format!(
                "{} `{}` does not exist: ids are UUIDs in their hyphenated lower-case form",
                Self::RESOURCE,
                crate::core::error::echo(raw)
            ))),
        }
    }

    /// The 404 of an id that names no row.
    fn not_found(self) -> DomainError {
        DomainError::not_found(Self::RESOURCE, self.uuid())
    }
}

/// Declares a UUID newtype id: serde-transparent, stored through `db::types::Uuid`, documented
/// in the spec as a UUID string.
#[macro_export]
macro_rules! define_id {
    ($name:ident, $resource:literal) => {
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = $crate::db::types::Uuid)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered (v7) id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7())
            }
        }

        impl $crate::core::ids::ResourceId for $name {
            const RESOURCE: &'static str = $resource;

            fn from_uuid(id: uuid::Uuid) -> Self {
                Self(id)
            }

            fn uuid(self) -> uuid::Uuid {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Uuid,
                    )))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl utoipa::IntoParams for $name {
            fn into_params(
                _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
            ) -> Vec<utoipa::openapi::path::Parameter> {
                vec![$crate::openapi::id_parameter($resource)]
            }
        }

        impl<DB> diesel::serialize::ToSql<$crate::db::types::Uuid, DB> for $name
        where
            DB: diesel::backend::Backend,
            uuid::Uuid: diesel::serialize::ToSql<$crate::db::types::Uuid, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.0.to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<$crate::db::types::Uuid, DB> for $name
        where
            DB: diesel::backend::Backend,
            uuid::Uuid: diesel::deserialize::FromSql<$crate::db::types::Uuid, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                uuid::Uuid::from_sql(bytes).map(Self)
            }
        }
    };
}
