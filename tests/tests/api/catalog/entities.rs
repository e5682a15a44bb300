//! Brands, categories, subcategories, labels and tags: the routes they share.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Shop, ids, keys};

#[tokio::test]
async fn a_brand_is_created_read_changed_and_deleted_with_belta_s_shapes() {
    let shop = Shop::open().await;
    let (status, created) = shop
        .admin(
            Method::POST,
            "/brands/staff",
            Some(json!({"nameAr": " سامسونج ", "nameEn": "Samsung", "cover": "https://cdn.example/s.png"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        keys(&created),
        [
            "_id",
            "cover",
            "createdAt",
            "disabled",
            "employeeReadOnly",
            "nameAr",
            "nameEn",
            "products",
            "updatedAt"
        ]
    );
    assert_eq!(created["nameAr"], "سامسونج", "names are trimmed");
    assert_eq!(created["products"], json!([]));
    let id = created["_id"].as_str().unwrap();
    assert_eq!(id.len(), 24);

    let (_, arabic) = shop.public("/brands", "ar").await;
    assert_eq!(
        arabic["data"][0],
        json!({"_id": id, "name": "سامسونج", "cover": "https://cdn.example/s.png"})
    );
    assert_eq!(
        arabic["metadata"],
        json!({"total": 1, "page": 1, "limit": 10})
    );
    let (_, english) = shop
        .public(&format!("/brands/{id}"), "en-US,en;q=0.9")
        .await;
    assert_eq!(
        english,
        json!({"_id": id, "name": "Samsung", "cover": "https://cdn.example/s.png", "products": []})
    );

    let changed = shop
        .admin_ok(
            Method::PATCH,
            &format!("/brands/staff/{id}"),
            Some(json!({"nameEn": "Samsung Electronics"})),
        )
        .await;
    assert_eq!(changed["nameEn"], "Samsung Electronics");
    assert_eq!(changed["nameAr"], "سامسونج", "fields not sent stay");
    assert_eq!(changed["createdAt"], created["createdAt"]);

    let (status, deleted) = shop
        .call(
            Method::DELETE,
            &format!("/brands/staff/{id}"),
            Some(&shop.admin),
            None,
            Some("ar"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted, json!({"message": "تم حذف العلامة التجارية بنجاح."}));
    let (status, missing) = shop.public(&format!("/brands/{id}"), "en").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["code"], "brand_not_found");
}

#[tokio::test]
async fn each_kind_answers_its_own_public_shape() {
    let shop = Shop::open().await;
    let category = shop.category("إلكترونيات", "Electronics").await;
    let subcategory = shop.subcategory("هواتف", "Phones").await;
    shop.link(
        "/subcategories/staff/link",
        json!({"subcategoryId": subcategory, "categoryId": category}),
    )
    .await;
    let label = shop.label("جديد", "New", "#ff0000").await;
    let tag = shop.tag("صيفي", "Summer").await;

    let (_, categories) = shop.public("/categories", "en").await;
    assert_eq!(
        categories["data"][0],
        json!({"_id": category, "name": "Electronics", "cover": "https://cdn.example/c.png"})
    );
    let (_, subcategories) = shop.public("/subcategories", "ar").await;
    assert_eq!(
        subcategories["data"][0],
        json!({"_id": subcategory, "name": "هواتف", "cover": "https://cdn.example/s.png", "category": category})
    );
    let (_, one) = shop
        .public(&format!("/subcategories/{subcategory}"), "ar")
        .await;
    assert_eq!(
        one["category"],
        json!({"_id": category, "name": "إلكترونيات"})
    );
    let (_, labels) = shop.public("/labels", "en").await;
    assert_eq!(
        labels["data"][0],
        json!({"_id": label, "name": "New", "color": "#FF0000"})
    );
    let (_, tags) = shop.public(&format!("/tags/{tag}"), "en").await;
    assert_eq!(tags, json!({"_id": tag, "name": "Summer"}));

    let staff_category = shop
        .admin_ok(Method::GET, &format!("/categories/staff/{category}"), None)
        .await;
    assert_eq!(staff_category["subcategories"][0]["_id"], subcategory);
    let (_, staff_categories) = shop.admin(Method::GET, "/categories/staff", None).await;
    assert_eq!(
        staff_categories["data"][0]["subcategories"],
        json!([subcategory])
    );
    let (_, staff_subcategories) = shop.admin(Method::GET, "/subcategories/staff", None).await;
    assert_eq!(
        staff_subcategories["data"][0]["category"]["nameEn"],
        "Electronics"
    );
}

#[tokio::test]
async fn bodies_are_validated_per_kind_and_unknown_fields_are_never_stored() {
    let shop = Shop::open().await;
    let (status, error) = shop
        .admin(Method::POST, "/brands/staff", Some(json!({"nameAr": "أ"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "validation_failed");
    assert_eq!(keys(&error["fields"]), ["cover", "nameEn"]);

    let (status, error) = shop
        .call(
            Method::POST,
            "/labels/staff",
            Some(&shop.admin),
            Some(json!({"nameAr": "أ", "nameEn": "", "color": "red; background: url(x)"})),
            Some("ar"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(keys(&error["fields"]), ["color", "nameEn"]);
    assert_eq!(error["error"], "بعض الحقول غير صالحة.");

    let (status, error) = shop
        .admin(
            Method::POST,
            "/tags/staff",
            Some(json!({"nameAr": 5, "nameEn": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["fields"]["nameAr"], json!(["Must be a string."]));

    let (status, error) = shop
        .call(
            Method::POST,
            "/tags/staff",
            Some(&shop.admin),
            None,
            Some("en"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");

    let malformed = shop
        .app
        .request(Method::POST, "/tags/staff")
        .bearer_auth(&shop.admin)
        .header("content-type", "application/json")
        .body("{\"nameAr\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = malformed.json().await.unwrap();
    assert_eq!(body["code"], "malformed_json");

    let huge = "x".repeat(2 * 1024 * 1024);
    let (status, _) = shop
        .admin(
            Method::POST,
            "/tags/staff",
            Some(json!({"nameAr": huge, "nameEn": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    let (status, created) = shop
        .admin(
            Method::POST,
            "/tags/staff",
            Some(json!({
                "nameAr": "وسم", "nameEn": "Tag", "_id": "000000000000000000000001",
                "createdAt": "2001-01-01T00:00:00.000Z", "products": ["000000000000000000000002"],
                "cover": "https://cdn.example/x.png", "isAdmin": true
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(created["_id"], "000000000000000000000001");
    assert_ne!(created["createdAt"], "2001-01-01T00:00:00.000Z");
    assert_eq!(created["products"], json!([]));
    assert!(created.get("cover").is_none() && created.get("isAdmin").is_none());

    let (_, tags) = shop.admin(Method::GET, "/tags/staff", None).await;
    assert_eq!(
        tags["metadata"]["total"], 1,
        "failed creates stored nothing"
    );

    let (status, error) = shop.admin(Method::GET, "/tags/staff/not-an-id", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["fields"]["id"].is_array());
    let (status, _) = shop
        .admin(
            Method::PATCH,
            "/tags/staff/000000000000000000000009",
            Some(json!({"nameEn": "y"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn staff_routes_need_a_valid_staff_token() {
    let shop = Shop::open().await;
    let tag = shop.tag("وسم", "Tag").await;
    let staff_routes = [
        (Method::GET, "/tags/staff".to_owned()),
        (Method::POST, "/tags/staff".to_owned()),
        (Method::GET, format!("/tags/staff/{tag}")),
        (Method::PATCH, format!("/tags/staff/{tag}")),
        (Method::DELETE, format!("/tags/staff/{tag}")),
        (Method::POST, "/tags/staff/link".to_owned()),
    ];
    for (method, path) in staff_routes {
        let body = Some(json!({"nameAr": "x", "nameEn": "y"}));
        let (status, error) = shop
            .call(method.clone(), &path, None, body.clone(), None)
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        assert_eq!(error["code"], "unauthorized");
        let (status, _) = shop
            .call(method.clone(), &path, Some("not.a.jwt"), body.clone(), None)
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a bad token"
        );
        let (status, error) = shop
            .call(method.clone(), &path, Some(&shop.client), body, Some("en"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} as a client");
        assert_eq!(
            error["error"],
            "Only staff members can access this resource"
        );
    }
    let (status, _) = shop.public(&format!("/tags/{tag}"), "ar").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the tag is untouched and public reads need no token"
    );
}

#[tokio::test]
async fn disabled_items_are_hidden_from_the_public_but_not_from_staff() {
    let shop = Shop::open().await;
    let shown = shop.category("ظاهر", "Shown").await;
    let hidden = shop.category("مخفي", "Hidden").await;
    shop.admin_ok(
        Method::PATCH,
        &format!("/categories/staff/{hidden}"),
        Some(json!({"disabled": true})),
    )
    .await;

    let (_, public) = shop.public("/categories?disabled=true", "en").await;
    assert_eq!(ids(&public), [shown.as_str()]);
    assert_eq!(public["metadata"]["total"], 1);
    let (status, _) = shop.public(&format!("/categories/{hidden}"), "en").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, staff) = shop.admin(Method::GET, "/categories/staff", None).await;
    assert_eq!(
        ids(&staff),
        [hidden.as_str(), shown.as_str()],
        "newest first"
    );
    let (_, only_disabled) = shop
        .admin(Method::GET, "/categories/staff?disabled=true", None)
        .await;
    assert_eq!(ids(&only_disabled), [hidden.as_str()]);
    let (status, error) = shop
        .admin(Method::GET, "/categories/staff?disabled=maybe", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["fields"]["disabled"].is_array());

    // Belta's admin panel sends `disabled` on labels too: it is a real field here.
    let label = shop.label("مخفي", "Hidden", "#000").await;
    shop.admin_ok(
        Method::PATCH,
        &format!("/labels/staff/{label}"),
        Some(json!({"disabled": true})),
    )
    .await;
    let (_, labels) = shop.public("/labels", "en").await;
    assert_eq!(labels["metadata"]["total"], 0);
}

#[tokio::test]
async fn only_an_admin_sets_or_touches_employee_read_only_items() {
    let shop = Shop::open().await;
    let (status, error) = shop
        .employee(
            Method::POST,
            "/tags/staff",
            Some(json!({"nameAr": "أ", "nameEn": "a", "employeeReadOnly": true})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["code"], "only_admin_can_set_read_only");

    let locked = shop
        .create(
            "/tags/staff",
            json!({"nameAr": "أ", "nameEn": "a", "employeeReadOnly": true}),
        )
        .await;
    let path = format!("/tags/staff/{locked}");
    let open_tag = shop.tag("ج", "c").await;
    let (_, read_only) = shop
        .admin(Method::GET, "/tags/staff?employeeReadOnly=true", None)
        .await;
    assert_eq!(ids(&read_only), [locked.as_str()]);
    let (_, writable) = shop
        .admin(Method::GET, "/tags/staff?employeeReadOnly=false", None)
        .await;
    assert_eq!(ids(&writable), [open_tag.as_str()]);
    for (method, body) in [
        (Method::PATCH, Some(json!({"nameEn": "b"}))),
        (Method::DELETE, None),
    ] {
        let (status, error) = shop.employee(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method}");
        assert_eq!(error["error"], "Only admin can modify or delete this Item.");
    }
    let (status, read) = shop.employee(Method::GET, &path, None).await;
    assert_eq!(
        (status, &read["nameEn"]),
        (StatusCode::OK, &json!("a")),
        "employees still read it"
    );

    let open = shop.tag("ب", "b").await;
    let changed = shop
        .call(
            Method::PATCH,
            &format!("/tags/staff/{open}"),
            Some(&shop.employee),
            Some(json!({"nameEn": "c", "employeeReadOnly": false})),
            None,
        )
        .await;
    assert_eq!(changed.0, StatusCode::OK, "employees change ordinary items");

    let unlocked = shop
        .admin_ok(
            Method::PATCH,
            &path,
            Some(json!({"employeeReadOnly": false})),
        )
        .await;
    assert_eq!(unlocked["employeeReadOnly"], false);
    let (status, _) = shop.employee(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn lists_page_with_exact_totals_and_capped_limits() {
    let shop = Shop::open().await;
    let mut created = Vec::new();
    for i in 0..12 {
        created.push(shop.tag(&format!("وسم {i}"), &format!("Tag {i:02}")).await);
    }
    created.reverse();

    let (_, third) = shop.public("/tags?page=3&limit=5", "en").await;
    assert_eq!(
        ids(&third),
        created[10..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(
        third["metadata"],
        json!({"total": 12, "page": 3, "limit": 5})
    );
    let (_, past) = shop.public("/tags?page=9&limit=5", "en").await;
    assert_eq!(past["data"], json!([]));
    assert_eq!(past["metadata"]["total"], 12);
    let (_, capped) = shop.public("/tags?limit=500", "en").await;
    assert_eq!(capped["metadata"]["limit"], 100);
    assert_eq!(capped["data"].as_array().unwrap().len(), 12);

    for bad in [
        "page=abc",
        "limit=0",
        "page=0",
        "limit=-3",
        "sort=price",
        "sort=random",
    ] {
        let (status, error) = shop.public(&format!("/tags?{bad}"), "en").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error["code"], "validation_failed", "{bad}");
    }

    let (_, by_name) = shop.public("/tags?sort=name&limit=3", "en").await;
    let names: Vec<&str> = by_name["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Tag 00", "Tag 01", "Tag 02"]);
}

#[tokio::test]
async fn search_ignores_case_arabic_spelling_variants_and_never_runs_a_pattern() {
    let shop = Shop::open().await;
    let coffee = shop.category("القَهْوَة العربيّة", "Arabic COFFEE").await;
    let tea = shop.category("شاي أخضر", "Green tea (loose)").await;

    for (query, expected) in [
        ("قهوه", vec![coffee.as_str()]),
        ("العربية", vec![coffee.as_str()]),
        ("coffee", vec![coffee.as_str()]),
        ("اخضر", vec![tea.as_str()]),
        ("tea (", vec![tea.as_str()]),
        (".*", vec![]),
        ("", vec![tea.as_str(), coffee.as_str()]),
    ] {
        let path = format!("/categories?search={}", urlencode(query));
        let (_, found) = shop.public(&path, "ar").await;
        assert_eq!(ids(&found), expected, "{query}");
    }
    let (_, staff) = shop
        .admin(
            Method::GET,
            &format!("/categories/staff?search={}", urlencode("قهوة")),
            None,
        )
        .await;
    assert_eq!(ids(&staff), [coffee.as_str()]);
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn labels_filter_by_color_and_subcategories_by_category() {
    let shop = Shop::open().await;
    let red = shop.label("أحمر", "Red", "#ff0000").await;
    let _blue = shop.label("أزرق", "Blue", "#0000ff").await;
    let (_, found) = shop.public("/labels?color=%23FF00", "en").await;
    assert_eq!(ids(&found), [red.as_str()]);
    // The admin panel's colour picker sends `rgba(...)`; it is kept as sent and found by its text.
    let picked = shop
        .label("أساسي", "Primary", " rgba(25, 118, 210, 1) ")
        .await;
    let (_, found) = shop.public("/labels?color=RGBA(25", "en").await;
    assert_eq!(ids(&found), [picked.as_str()]);
    assert_eq!(found["data"][0]["color"], "rgba(25, 118, 210, 1)");

    let category = shop.category("ملابس", "Clothes").await;
    let linked = shop.subcategory("قمصان", "Shirts").await;
    let _other = shop.subcategory("أحذية", "Shoes").await;
    shop.link(
        "/subcategories/staff/link",
        json!({"subcategoryId": linked, "categoryId": category}),
    )
    .await;
    let (_, found) = shop
        .public(&format!("/subcategories?categoryId={category}"), "en")
        .await;
    assert_eq!(ids(&found), [linked.as_str()]);
    let (status, _) = shop.public("/subcategories?categoryId=nope", "en").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
