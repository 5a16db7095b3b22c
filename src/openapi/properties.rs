//! Property shapes the derive writes in a form SDK generators misread, put right once for
//! every schema of the document.

use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{OpenApi as OpenApiDoc, RefOr};

/// Moves a description from a branch of a property's `oneOf`/`anyOf`/`allOf` onto the
/// property itself.
///
/// utoipa writes a documented nullable reference (`Option<RegionId>`, `Option<Enum>`) as
/// `{"oneOf": [{"type": "null"}, {"$ref": "...", "description": "..."}]}`: the description
/// sits on the branch, where openapi-typescript, @hey-api/openapi-ts and
/// openapi-python-client do not look, so the generated property has none. After this it is
/// `{"oneOf": [{"type": "null"}, {"$ref": "..."}], "description": "..."}`.
pub fn hoist_branch_descriptions(spec: &mut OpenApiDoc) {
    if let Some(components) = spec.components.as_mut() {
        for schema in components.schemas.values_mut() {
            if let RefOr::T(schema) = schema {
                visit(schema);
            }
        }
    }
}

/// Hoists the descriptions of every property within `schema`, at any depth.
fn visit(schema: &mut Schema) {
    match schema {
        Schema::Object(object) => {
            for property in object.properties.values_mut() {
                if let RefOr::T(property) = property {
                    hoist(property);
                    visit(property);
                }
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                if let RefOr::T(items) = items.as_mut() {
                    visit(items);
                }
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(visit_branch),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(visit_branch),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(visit_branch),
        _ => {}
    }
}

fn visit_branch(branch: &mut RefOr<Schema>) {
    if let RefOr::T(schema) = branch {
        visit(schema);
    }
}

/// The property's own description, or the first one found on its branches; the branches
/// are left without one.
fn hoist(property: &mut Schema) {
    let (description, branches) = match property {
        Schema::OneOf(one_of) => (&mut one_of.description, &mut one_of.items),
        Schema::AnyOf(any_of) => (&mut any_of.description, &mut any_of.items),
        Schema::AllOf(all_of) => (&mut all_of.description, &mut all_of.items),
        _ => return,
    };
    for branch in branches.iter_mut() {
        let taken = match branch {
            RefOr::Ref(reference) => {
                Some(std::mem::take(&mut reference.description)).filter(|text| !text.is_empty())
            }
            RefOr::T(Schema::Object(object)) => object.description.take(),
            RefOr::T(_) => None,
        };
        if let Some(text) = taken {
            description.get_or_insert(text);
        }
    }
}
