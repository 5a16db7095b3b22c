//! Newtype ids, one per resource, so ids of different resources cannot be swapped.

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
            pub const RESOURCE: &'static str = $resource;

            /// A fresh, time-ordered (v7) id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            /// Parses a path segment; a segment that is not a UUID names no resource (404).
            pub fn parse_path(raw: &str) -> Result<Self, $crate::error::ApiError> {
                uuid::Uuid::parse_str(raw).map(Self).map_err(|_| {
                    $crate::error::ApiError::NotFound(format!(
                        "{} `{}` does not exist: ids are UUIDs",
                        $resource, raw
                    ))
                })
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
