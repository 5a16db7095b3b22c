//! Diesel table definitions, one schema for both backends (see `db::types` for the column
//! types whose storage differs per backend).

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    regions (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        search_text -> Text,
        country_code -> Text,
        parent_id -> Nullable<Uuid>,
        level -> Text,
        path -> Text,
        rollout_stage -> Text,
        rollout_target_year -> Nullable<Integer>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    laboratories (id) {
        id -> Uuid,
        region_id -> Uuid,
        code -> Text,
        /// `validation::code_key(code)`: the uniqueness key, compared by the `code` filter.
        code_key -> Text,
        name -> Text,
        search_text -> Text,
        kind -> Text,
        parent_id -> Nullable<Uuid>,
        status -> Text,
        address -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        capacity_per_day -> Nullable<Integer>,
        opened_on -> Nullable<Date>,
        operator -> Nullable<Text>,
        accreditation_standard -> Nullable<Text>,
        accreditation_certificate_number -> Nullable<Text>,
        accreditation_valid_until -> Nullable<Date>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        version -> BigInt,
        /// JSON object: counted units by equipment category (see `equipment_units`).
        equipment_counts -> Text,
        /// The geographic cell of the coordinates (`db::geo::cell`), computed by the
        /// database; never written.
        geo_cell -> Nullable<Integer>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    /// The words of each laboratory's name and code (`validation::search_terms`), with the
    /// laboratory's creation time so that a search can read its matches in list order.
    laboratory_search_terms (term, created_at, laboratory_id) {
        term -> Text,
        created_at -> UtcTimestamp,
        laboratory_id -> Uuid,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::Uuid;

    laboratory_disciplines (laboratory_id, discipline) {
        laboratory_id -> Uuid,
        discipline -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    vendors (id) {
        id -> Uuid,
        name -> Text,
        name_key -> Text,
        search_text -> Text,
        country_code -> Text,
        website -> Nullable<Text>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::Uuid;

    vendor_categories (vendor_id, category) {
        vendor_id -> Uuid,
        category -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    localizations (id) {
        id -> Uuid,
        vendor_id -> Uuid,
        country_code -> Text,
        region_id -> Nullable<Uuid>,
        stage -> Text,
        suspended_from_stage -> Nullable<Text>,
        stage_changed_on -> Date,
        local_content_percent -> Nullable<Double>,
        target_date -> Nullable<Date>,
        partner -> Nullable<Text>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::Uuid;

    localization_scopes (localization_id, scope) {
        localization_id -> Uuid,
        scope -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    localization_stage_changes (id) {
        id -> Uuid,
        localization_id -> Uuid,
        from_stage -> Nullable<Text>,
        to_stage -> Text,
        changed_on -> Date,
        note -> Nullable<Text>,
        source -> Nullable<Text>,
        created_at -> UtcTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::UtcTimestamp;

    idempotency_keys (idempotency_key) {
        idempotency_key -> Text,
        fingerprint -> Text,
        status_code -> Nullable<Integer>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Text>,
        created_at -> UtcTimestamp,
    }
}

diesel::joinable!(laboratories -> regions (region_id));
diesel::joinable!(laboratory_disciplines -> laboratories (laboratory_id));
diesel::joinable!(vendor_categories -> vendors (vendor_id));
diesel::joinable!(localizations -> vendors (vendor_id));
diesel::joinable!(localizations -> regions (region_id));
diesel::joinable!(localization_scopes -> localizations (localization_id));
diesel::joinable!(localization_stage_changes -> localizations (localization_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    organizations (id) {
        id -> Uuid,
        name -> Text,
        name_key -> Text,
        search_text -> Text,
        kind -> Text,
        country_code -> Text,
        website -> Nullable<Text>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    equipment_models (id) {
        id -> Uuid,
        vendor_id -> Uuid,
        name -> Text,
        model_code -> Text,
        model_code_key -> Text,
        search_text -> Text,
        category -> Text,
        localization_id -> Nullable<Uuid>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    equipment_units (id) {
        id -> Uuid,
        equipment_model_id -> Uuid,
        laboratory_id -> Uuid,
        serial_number -> Text,
        serial_key -> Text,
        installed_on -> Nullable<Date>,
        status -> Text,
        supplier_vendor_id -> Nullable<Uuid>,
        supplier_name -> Nullable<Text>,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        version -> BigInt,
    }
}

diesel::joinable!(equipment_units -> equipment_models (equipment_model_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    registration_certificates (id) {
        id -> Uuid,
        equipment_model_id -> Nullable<Uuid>,
        product_name -> Nullable<Text>,
        product_kind -> Text,
        country_code -> Text,
        issuing_authority -> Text,
        authority_key -> Text,
        number -> Text,
        number_key -> Text,
        issued_on -> Date,
        valid_until -> Nullable<Date>,
        status -> Text,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    recognition_agreements (id) {
        id -> Uuid,
        recognizing_country_code -> Text,
        recognized_country_code -> Text,
        mutual -> Bool,
        scope -> Text,
        in_force_from -> Date,
        in_force_until -> Nullable<Date>,
        title -> Text,
        source -> Text,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        version -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    regions,
    laboratories,
    laboratory_disciplines,
    laboratory_search_terms,
    vendors,
    vendor_categories,
    localizations,
    localization_scopes,
    localization_stage_changes,
    organizations,
    equipment_models,
    equipment_units,
    registration_certificates,
    recognition_agreements,
);

// A laboratory's unit counts group the units by their model's category.
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    equipment_units::laboratory_id,
    equipment_models::category,
);

diesel::table! {
    /// One row while the search columns and words wait to be refilled (see
    /// `search_rebuild`).
    pending_search_rebuild (requested) {
        requested -> Bool,
    }
}

diesel::table! {
    /// One row while the laboratories' code keys wait to be refilled (see `search_rebuild`).
    pending_code_key_refill (requested) {
        requested -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    api_keys (id) {
        id -> Uuid,
        prefix -> Text,
        key_hash -> Text,
        name -> Text,
        role -> Text,
        regions -> Nullable<Text>,
        global_scope -> Bool,
        created_at -> UtcTimestamp,
        updated_at -> UtcTimestamp,
        expires_at -> Nullable<UtcTimestamp>,
        revoked_at -> Nullable<UtcTimestamp>,
        last_used_at -> Nullable<UtcTimestamp>,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UtcTimestamp, Uuid};

    audit_events (seq) {
        seq -> BigInt,
        id -> Uuid,
        position -> Nullable<BigInt>,
        occurred_at -> UtcTimestamp,
        actor_kind -> Text,
        actor_id -> Text,
        actor_name -> Nullable<Text>,
        request_id -> Nullable<Text>,
        resource_type -> Text,
        resource_id -> Uuid,
        action -> Text,
        in_feed -> Bool,
        version -> Nullable<BigInt>,
        changes -> Text,
        snapshot -> Nullable<Text>,
    }
}
