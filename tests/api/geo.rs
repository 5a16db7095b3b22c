//! Geographic search on laboratories: inside a bounding box (across the antimeridian too),
//! within a radius of a point ordered by distance with the distance in each item, combined
//! with the other filters, and paged by distance with tokens that serve only their list.

use reqwest::header::{CONTENT_TYPE, ETAG, VARY};
use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{error_fields, json_with_status, problem, spawn_app, Backend, TestApp};

backend_tests!(
    a_bounding_box_keeps_what_is_inside,
    a_box_across_the_antimeridian_wraps,
    near_orders_by_distance_within_the_radius,
    near_pages_by_distance_and_tokens_serve_only_their_list,
    geographic_parameters_are_checked,
    geojson_gives_the_same_page_as_features,
    the_list_answers_406_for_an_accept_it_cannot_meet,
    the_database_numbers_cells_as_the_service_does,
    near_finds_the_nearest_in_a_dense_cluster_page_after_page,
    a_box_alone_pages_in_creation_order_both_ways,
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

const GEOJSON: &str = "application/geo+json";

/// A list as GeoJSON: its status, content type, `Vary`, `ETag` and body.
async fn geojson(app: &TestApp, path: &str, accept: &str) -> (u16, String, String, String, Value) {
    let response = app
        .request(Method::GET, path, None, &[("accept", accept)])
        .await;
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (content_type, vary, etag) = (header(CONTENT_TYPE), header(VARY), header(ETAG));
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, content_type, vary, etag, body)
}

async fn geojson_gives_the_same_page_as_features(backend: Backend) {
    let app = spawn_app(backend).await;
    places(&app, URAL).await;
    let path = "/v1/laboratories?sort=code&page_size=2";
    let page = json_with_status(app.get(path).await, 200).await;
    assert_eq!(codes(&page), ["CHELYABINSK", "KURGAN"]);

    let (status, content_type, vary, etag, collection) = geojson(&app, path, GEOJSON).await;
    assert_eq!(status, 200, "{collection}");
    assert_eq!(content_type, GEOJSON);
    assert!(vary.contains("Accept"), "Vary: {vary}");
    assert_eq!(collection["type"], "FeatureCollection");
    assert_eq!(collection["next_page_token"], page["next_page_token"]);
    let features = collection["features"].as_array().expect("features");
    assert_eq!(features.len(), 2);
    for (feature, item) in features
        .iter()
        .zip(page["items"].as_array().expect("items"))
    {
        assert_eq!(feature["type"], "Feature");
        assert_eq!(feature["id"], item["id"]);
        assert_eq!(
            &feature["properties"], item,
            "properties are the laboratory"
        );
        assert_eq!(
            feature["geometry"],
            json!({"type": "Point", "coordinates": [item["longitude"], item["latitude"]]}),
            "longitude first"
        );
    }

    // The next page through the same token, as GeoJSON again; a laboratory without
    // coordinates has a null geometry.
    let token = collection["next_page_token"].as_str().expect("a next page");
    let (status, _, _, _, next) = geojson(
        &app,
        &format!("/v1/laboratories?sort=code&page_size=2&page_token={token}"),
        GEOJSON,
    )
    .await;
    assert_eq!(status, 200, "{next}");
    let codes_next: Vec<&str> = next["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes_next, ["MOSCOW", "NOWHERE"]);
    assert_eq!(next["features"][1]["geometry"], Value::Null);

    // With `near`, each feature carries its distance; JSON wins ties and is the default.
    let (_, _, _, _, near) = geojson(
        &app,
        "/v1/laboratories?near=55.441,65.341&radius_km=100",
        GEOJSON,
    )
    .await;
    assert_eq!(near["features"][0]["properties"]["code"], "KURGAN");
    assert_eq!(near["features"][0]["properties"]["distance_km"], 0.0);
    for accept in [
        "application/json, application/geo+json",
        "*/*",
        "application/*",
        "",
    ] {
        let (status, content_type, vary, _, body) = geojson(&app, path, accept).await;
        assert_eq!(status, 200);
        assert_eq!(content_type, "application/json", "Accept: {accept}");
        assert!(vary.contains("Accept"));
        assert_eq!(body, page, "Accept: {accept}");
    }
    let (_, content_type, _, _, _) = geojson(
        &app,
        path,
        "application/json;q=0.5, application/geo+json;q=0.9",
    )
    .await;
    assert_eq!(content_type, GEOJSON, "the higher quality wins");

    // Each form has its own ETag, and revalidates on its own.
    let json_etag = app
        .get(path)
        .await
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        etag.starts_with("W/") && etag != json_etag,
        "{etag} vs {json_etag}"
    );
    let response = app
        .request(
            Method::GET,
            path,
            None,
            &[("accept", GEOJSON), ("if-none-match", &etag)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 304);
    let response = app
        .request(Method::GET, path, None, &[("if-none-match", &etag)])
        .await;
    assert_eq!(
        response.status().as_u16(),
        200,
        "JSON is not the cached GeoJSON"
    );
}

async fn the_list_answers_406_for_an_accept_it_cannot_meet(backend: Backend) {
    let app = spawn_app(backend).await;
    places(&app, URAL).await;
    for accept in [
        "text/csv",
        "application/json;q=0, application/geo+json;q=0",
        "image/*",
    ] {
        let response = app
            .request(Method::GET, "/v1/laboratories", None, &[("accept", accept)])
            .await;
        let body = problem(response, 406).await;
        assert_eq!(body["type"], "/problems/not-acceptable");
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("application/json") && detail.contains(GEOJSON),
            "{detail}"
        );
    }
    // A bad parameter is a 400 whatever `Accept` says.
    let response = app
        .request(
            Method::GET,
            "/v1/laboratories?bbox=1",
            None,
            &[("accept", GEOJSON)],
        )
        .await;
    problem(response, 400).await;
    // Lists with one form keep answering JSON whatever `Accept` says.
    let response = app
        .request(Method::GET, "/v1/regions", None, &[("accept", GEOJSON)])
        .await;
    json_with_status(response, 200).await;
}

async fn the_database_numbers_cells_as_the_service_does(backend: Backend) {
    use diesel::sql_types::{Double, Integer};
    use diesel::{QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Cell {
        #[diesel(sql_type = Double)]
        latitude: f64,
        #[diesel(sql_type = Double)]
        longitude: f64,
        #[diesel(sql_type = Integer)]
        geo_cell: i32,
    }
    let app = spawn_app(backend).await;
    let corners: &[(&str, f64, f64)] = &[
        ("SW", -90.0, -180.0),
        ("NE", 90.0, 180.0),
        ("ZERO", 0.0, 0.0),
        ("EDGE", 55.4, 65.3),
        ("NEG", -33.86785, 151.20732),
        ("WEST", 40.7128, -74.006),
        ("TINY", -0.00001, -0.00001),
        ("KURGAN", 55.441, 65.341),
    ];
    places(&app, corners).await;
    let pool = app.pool.clone();
    let cells = actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        diesel::sql_query(
            "SELECT latitude, longitude, geo_cell FROM laboratories WHERE latitude IS NOT NULL",
        )
        .load::<Cell>(&mut **conn)
        .expect("cells")
    })
    .await
    .expect("read cells");
    assert_eq!(cells.len(), corners.len());
    for cell in cells {
        assert_eq!(
            cell.geo_cell,
            labnet::db::geo::cell(cell.latitude, cell.longitude),
            "({}, {})",
            cell.latitude,
            cell.longitude
        );
    }
}

/// Many laboratories close together, as in a city: every page of a `near` list is the
/// nearest after the last, whichever ring found it.
async fn near_finds_the_nearest_in_a_dense_cluster_page_after_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let country = app.create_country("RU", "Россия").await;
    let (latitude, longitude) = (55.441, 65.341);
    let mut expected: Vec<(f64, String)> = Vec::new();
    for i in 0..60 {
        // A spiral out to about 30 km, and two far outside the radius.
        let angle = f64::from(i) * 2.4;
        let step = f64::from(i) * 0.005;
        let (lat, lon) = (
            latitude + step * angle.sin(),
            longitude + step * angle.cos() * 1.7,
        );
        let code = format!("LAB-{i:03}");
        app.create_laboratory(&country, &code, json!({"latitude": lat, "longitude": lon}))
            .await;
        expected.push((
            labnet::db::geo::distance_km(latitude, longitude, lat, lon),
            code,
        ));
    }
    app.create_laboratory(
        &country,
        "FAR-1",
        json!({"latitude": 60.0, "longitude": 65.341}),
    )
    .await;
    app.create_laboratory(
        &country,
        "FAR-2",
        json!({"latitude": 55.441, "longitude": 75.0}),
    )
    .await;
    expected.retain(|(distance, _)| *distance <= 40.0);
    expected.sort_by(|a, b| a.0.total_cmp(&b.0));
    let expected: Vec<String> = expected.into_iter().map(|(_, code)| code).collect();
    // Filtered by `near` alone (ids from the cell index, then the rows) and with another
    // filter (the rows read in each ring): the same laboratories in the same order.
    for also in ["", "&status=planned,operational"] {
        let base = format!("/v1/laboratories?near=55.441,65.341&radius_km=40&page_size=3{also}");
        let mut seen = Vec::new();
        let mut path = base.clone();
        for _ in 0..30 {
            let page = json_with_status(app.get(&path).await, 200).await;
            let mut last = 0.0;
            for item in page["items"].as_array().expect("items") {
                let distance = item["distance_km"].as_f64().expect("distance");
                assert!(distance >= last, "nearest first: {page}");
                last = distance;
                seen.push(item["code"].as_str().expect("code").to_owned());
            }
            match page["next_page_token"].as_str() {
                Some(token) => path = format!("{base}&page_token={token}"),
                None => break,
            }
        }
        assert_eq!(seen, expected, "with `{also}`");
    }
}

/// A list filtered by a box alone, in the default order (read from the cell index, then the
/// rows): every page in creation order, either way, across the antimeridian too.
async fn a_box_alone_pages_in_creation_order_both_ways(backend: Backend) {
    let app = spawn_app(backend).await;
    let country = app.create_country("RU", "Россия").await;
    let mut inside = Vec::new();
    for i in 0..9 {
        let (latitude, longitude) = if i % 3 == 0 {
            (64.0 + f64::from(i) * 0.01, -179.9)
        } else {
            (64.0 - f64::from(i) * 0.01, 179.8 + f64::from(i) * 0.01)
        };
        let code = format!("IN-{i}");
        app.create_laboratory(
            &country,
            &code,
            json!({"latitude": latitude, "longitude": longitude}),
        )
        .await;
        inside.push(code);
        // Outside the box: south of it, and east of it.
        app.create_laboratory(
            &country,
            &format!("OUT-S{i}"),
            json!({"latitude": 62.0, "longitude": 179.9}),
        )
        .await;
        app.create_laboratory(
            &country,
            &format!("OUT-E{i}"),
            json!({"latitude": 64.0, "longitude": -170.0}),
        )
        .await;
    }
    for (sort, expected) in [
        ("", inside.clone()),
        ("&sort=-created_at", inside.iter().rev().cloned().collect()),
    ] {
        let mut seen: Vec<String> = Vec::new();
        let mut path = format!("/v1/laboratories?bbox=179.5,63.5,-179.5,64.5&page_size=4{sort}");
        for _ in 0..10 {
            let page = json_with_status(app.get(&path).await, 200).await;
            seen.extend(codes(&page).into_iter().map(str::to_owned));
            match page["next_page_token"].as_str() {
                Some(token) => {
                    path = format!(
                        "/v1/laboratories?bbox=179.5,63.5,-179.5,64.5&page_size=4{sort}&page_token={token}"
                    )
                }
                None => break,
            }
        }
        assert_eq!(seen, expected, "sort `{sort}`");
    }
}
