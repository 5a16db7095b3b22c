//! Geographic search on laboratories: inside a bounding box (across the antimeridian too),
//! within a radius of a point ordered by distance with the distance in each item, combined
//! with the other filters, and paged by distance with tokens that serve only their list.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{error_fields, json_with_status, problem, spawn_app, Backend, TestApp};

backend_tests!(
    a_bounding_box_keeps_what_is_inside,
    a_box_across_the_antimeridian_wraps,
    near_orders_by_distance_within_the_radius,
    near_pages_by_distance_and_tokens_serve_only_their_list,
    geographic_parameters_are_checked,
);

/// Laboratories at named places (latitude, longitude), and one without coordinates.
async fn places(app: &TestApp, places: &[(&str, f64, f64)]) -> Value {
    let country = app.create_country("RU", "Россия").await;
    for (code, latitude, longitude) in places {
        app.create_laboratory(
            &country,
            code,
            json!({"latitude": latitude, "longitude": longitude}),
        )
        .await;
    }
    app.create_laboratory(&country, "NOWHERE", json!({})).await;
    country
}

fn codes(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["code"].as_str().expect("code"))
        .collect()
}

const URAL: &[(&str, f64, f64)] = &[
    ("KURGAN", 55.441, 65.341),
    ("SHADRINSK", 56.085, 63.633),
    ("TYUMEN", 57.153, 65.534),
    ("CHELYABINSK", 55.160, 61.400),
    ("MOSCOW", 55.756, 37.617),
];

async fn a_bounding_box_keeps_what_is_inside(backend: Backend) {
    let app = spawn_app(backend).await;
    places(&app, URAL).await;
    let page = json_with_status(
        app.get("/v1/laboratories?sort=code&bbox=63,55,66,57").await,
        200,
    )
    .await;
    assert_eq!(codes(&page), ["KURGAN", "SHADRINSK"]);
    // Edges are inside.
    let page = json_with_status(
        app.get("/v1/laboratories?sort=code&bbox=65.341,55.441,65.341,55.441")
            .await,
        200,
    )
    .await;
    assert_eq!(codes(&page), ["KURGAN"]);
    // With the other filters.
    let page = json_with_status(
        app.get("/v1/laboratories?sort=code&bbox=30,50,70,60&q=moscow")
            .await,
        200,
    )
    .await;
    assert_eq!(codes(&page), ["MOSCOW"]);
    // No distance without `near`.
    assert!(page["items"][0].get("distance_km").is_none(), "{page}");
}

async fn a_box_across_the_antimeridian_wraps(backend: Backend) {
    let app = spawn_app(backend).await;
    places(
        &app,
        &[
            ("ANADYR", 64.73, 177.51),
            ("PROVIDENIYA", 64.42, -173.23),
            ("MAGADAN", 59.56, 150.80),
        ],
    )
    .await;
    let page = json_with_status(
        app.get("/v1/laboratories?sort=code&bbox=170,60,-170,70")
            .await,
        200,
    )
    .await;
    assert_eq!(codes(&page), ["ANADYR", "PROVIDENIYA"]);
    // Near a point on the antimeridian, both sides are found, nearest first.
    let page = json_with_status(
        app.get("/v1/laboratories?near=64.6,180&radius_km=400")
            .await,
        200,
    )
    .await;
    assert_eq!(codes(&page), ["ANADYR", "PROVIDENIYA"]);
}

async fn near_orders_by_distance_within_the_radius(backend: Backend) {
    let app = spawn_app(backend).await;
    places(&app, URAL).await;
    let page = json_with_status(
        app.get("/v1/laboratories?near=55.441,65.341&radius_km=300")
            .await,
        200,
    )
    .await;
    assert_eq!(
        codes(&page),
        ["KURGAN", "SHADRINSK", "TYUMEN", "CHELYABINSK"]
    );
    let distances: Vec<f64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["distance_km"].as_f64().expect("distance_km"))
        .collect();
    assert_eq!(distances[0], 0.0);
    assert!(
        distances.windows(2).all(|pair| pair[0] <= pair[1]),
        "{distances:?}"
    );
    // Kurgan to Tyumen is about 190 km.
    assert!((185.0..200.0).contains(&distances[2]), "{distances:?}");
    // A smaller radius, and the other filters, narrow it.
    let page = json_with_status(
        app.get("/v1/laboratories?near=55.441,65.341&radius_km=150")
            .await,
        200,
    )
    .await;
    assert_eq!(codes(&page), ["KURGAN", "SHADRINSK"]);
    let page = json_with_status(
        app.get("/v1/laboratories?near=55.441,65.341&radius_km=300&q=tyumen&sort=distance")
            .await,
        200,
    )
    .await;
    assert_eq!(codes(&page), ["TYUMEN"]);
    // Another sort with `near` is refused; `distance` without `near` too.
    let refused = problem(
        app.get("/v1/laboratories?near=55.441,65.341&radius_km=300&sort=name")
            .await,
        400,
    )
    .await;
    assert_eq!(error_fields(&refused), ["sort"]);
    let refused = problem(app.get("/v1/laboratories?sort=distance").await, 400).await;
    assert_eq!(error_fields(&refused), ["sort"]);
}

async fn near_pages_by_distance_and_tokens_serve_only_their_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let country = app.create_country("RU", "Россия").await;
    // Twelve laboratories on a line going east, two of them at the same place (a tie the id
    // breaks).
    for i in 0..12 {
        let longitude = 60.0 + f64::from(i.min(10)) * 0.1;
        app.create_laboratory(
            &country,
            &format!("L{i:02}"),
            json!({"latitude": 55.0, "longitude": longitude}),
        )
        .await;
    }
    let base = "/v1/laboratories?near=55.0,60.0&radius_km=100&page_size=5";
    let mut seen = Vec::new();
    let mut url = base.to_owned();
    let mut first_token = None;
    for _ in 0..5 {
        let page = json_with_status(app.get(&url).await, 200).await;
        seen.extend(page["items"].as_array().unwrap().iter().map(|item| {
            (
                item["distance_km"].as_f64().unwrap(),
                item["id"].as_str().unwrap().to_owned(),
                item["code"].as_str().unwrap().to_owned(),
            )
        }));
        match page["next_page_token"].as_str() {
            Some(token) => {
                first_token.get_or_insert_with(|| token.to_owned());
                url = format!("{base}&page_token={token}");
            }
            None => break,
        }
    }
    let walked: Vec<&str> = seen.iter().map(|(_, _, code)| code.as_str()).collect();
    assert_eq!(walked.len(), 12, "{walked:?}");
    assert_eq!(
        &walked[..10],
        ["L00", "L01", "L02", "L03", "L04", "L05", "L06", "L07", "L08", "L09"]
    );
    // L10 and L11 stand at the same place: the id orders them.
    let mut tied: Vec<&str> = walked[10..].to_vec();
    tied.sort_unstable();
    assert_eq!(tied, ["L10", "L11"]);
    assert_eq!(seen[10].0, seen[11].0);
    assert!(seen[10].1 < seen[11].1, "ties by id: {seen:?}");
    // A token serves only the point and radius it came from, and not another sort.
    let token = first_token.expect("more than one page");
    for other in [
        format!("/v1/laboratories?near=55.0,60.1&radius_km=100&page_token={token}"),
        format!("/v1/laboratories?near=55.0,60.0&radius_km=90&page_token={token}"),
        format!("/v1/laboratories?page_token={token}"),
    ] {
        let refused = problem(app.get(&other).await, 400).await;
        assert_eq!(error_fields(&refused), ["page_token"], "{other}");
    }
}

async fn geographic_parameters_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    for (query, field) in [
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=-181,0,10,10", "bbox"),
        ("bbox=0,10,10,0", "bbox"),
        ("bbox=0,0,10,91", "bbox"),
        ("near=55,65", "radius_km"),
        ("radius_km=10", "near"),
        ("near=91,65&radius_km=10", "near"),
        ("near=55&radius_km=10", "near"),
        ("near=55,65&radius_km=0", "radius_km"),
        ("near=55,65&radius_km=5001", "radius_km"),
        ("near=55,65&radius_km=NaN", "radius_km"),
    ] {
        let refused = problem(app.get(&format!("/v1/laboratories?{query}")).await, 400).await;
        assert_eq!(error_fields(&refused), [field], "{query}");
    }
}
