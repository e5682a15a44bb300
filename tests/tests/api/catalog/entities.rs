//! Brands, categories, subcategories, labels and tags: the routes they share.

use catalog::kind::Kind::{self, Brand, Category, Label, Subcategory, Tag};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Shop, ids, keys};

#[tokio::test]
async fn a_brand_is_created_read_changed_and_deleted_with_belta_s_shapes() {
    let shop = Shop::open().await;
    let admin = shop.as_admin();
    let created = admin
        .create(
            Brand,
            &json!({"nameAr": " سامسونج ", "nameEn": "Samsung", "cover": "https://cdn.example/s.png"}),
        )
        .await
        .created();
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

    let arabic = shop.anonymous("ar").public_list(Brand, "").await.ok();
    assert_eq!(
        arabic["data"][0],
        json!({"_id": id, "name": "سامسونج", "cover": "https://cdn.example/s.png"})
    );
    assert_eq!(
        arabic["metadata"],
        json!({"total": 1, "page": 1, "limit": 10})
    );
    let english = shop
        .anonymous("en-US,en;q=0.9")
        .public_get(Brand, id)
        .await
        .ok();
    assert_eq!(
        english,
        json!({"_id": id, "name": "Samsung", "cover": "https://cdn.example/s.png", "products": []})
    );

    let changed = admin
        .update(Brand, id, &json!({"nameEn": "Samsung Electronics"}))
        .await
        .ok();
    assert_eq!(changed["nameEn"], "Samsung Electronics");
    assert_eq!(changed["nameAr"], "سامسونج", "fields not sent stay");
    assert_eq!(changed["createdAt"], created["createdAt"]);

    let deleted = admin.in_lang("ar").delete(Brand, id).await.ok();
    assert_eq!(deleted, json!({"message": "تم حذف العلامة التجارية بنجاح."}));
    shop.anonymous("en")
        .public_get(Brand, id)
        .await
        .fails(StatusCode::NOT_FOUND, "brand_not_found");
}

#[tokio::test]
async fn each_kind_answers_its_own_public_shape() {
    let shop = Shop::open().await;
    let category = shop.category("إلكترونيات", "Electronics").await;
    let subcategory = shop.subcategory("هواتف", "Phones").await;
    shop.as_admin()
        .link_category(&subcategory, &category)
        .await
        .ok();
    let label = shop.label("جديد", "New", "#ff0000").await;
    let tag = shop.tag("صيفي", "Summer").await;
    let (english, arabic, admin) = (shop.anonymous("en"), shop.anonymous("ar"), shop.as_admin());

    let categories = english.public_list(Category, "").await.ok();
    assert_eq!(
        categories["data"][0],
        json!({"_id": category, "name": "Electronics", "cover": "https://cdn.example/c.png"})
    );
    let subcategories = arabic.public_list(Subcategory, "").await.ok();
    assert_eq!(
        subcategories["data"][0],
        json!({"_id": subcategory, "name": "هواتف", "cover": "https://cdn.example/s.png", "category": category})
    );
    let one = arabic.public_get(Subcategory, &subcategory).await.ok();
    assert_eq!(
        one["category"],
        json!({"_id": category, "name": "إلكترونيات"})
    );
    let labels = english.public_list(Label, "").await.ok();
    assert_eq!(
        labels["data"][0],
        json!({"_id": label, "name": "New", "color": "#FF0000"})
    );
    let tags = english.public_get(Tag, &tag).await.ok();
    assert_eq!(tags, json!({"_id": tag, "name": "Summer"}));

    let staff_category = admin.staff_get(Category, &category).await.ok();
    assert_eq!(staff_category["subcategories"][0]["_id"], subcategory);
    let staff_categories = admin.staff_list(Category, "").await.ok();
    assert_eq!(
        staff_categories["data"][0]["subcategories"],
        json!([subcategory])
    );
    let staff_subcategories = admin.staff_list(Subcategory, "").await.ok();
    assert_eq!(
        staff_subcategories["data"][0]["category"]["nameEn"],
        "Electronics"
    );
}

#[tokio::test]
async fn bodies_are_validated_per_kind_and_unknown_fields_are_never_stored() {
    let shop = Shop::open().await;
    let admin = shop.as_admin();
    let shop_ref = &shop;
    let invalid = |kind: Kind, body| async move {
        let error = shop_ref.as_admin().in_lang("ar").create(kind, &body).await;
        error.fails(StatusCode::BAD_REQUEST, "validation_failed")
    };
    let error = invalid(Brand, json!({"nameAr": "أ"})).await;
    assert_eq!(keys(&error["fields"]), ["cover", "nameEn"]);
    let error = invalid(
        Label,
        json!({"nameAr": "أ", "nameEn": "", "color": "red; background: url(x)"}),
    )
    .await;
    assert_eq!(keys(&error["fields"]), ["color", "nameEn"]);
    assert_eq!(error["error"], "بعض الحقول غير صالحة.");
    let error = admin
        .create(Tag, &json!({"nameAr": 5, "nameEn": "x"}))
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
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
    let too_large = admin
        .create(Tag, &json!({"nameAr": huge, "nameEn": "x"}))
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);

    let created = admin
        .create(
            Tag,
            &json!({
                "nameAr": "وسم", "nameEn": "Tag", "_id": "000000000000000000000001",
                "createdAt": "2001-01-01T00:00:00.000Z", "products": ["000000000000000000000002"],
                "cover": "https://cdn.example/x.png", "isAdmin": true
            }),
        )
        .await
        .created();
    assert_ne!(created["_id"], "000000000000000000000001");
    assert_ne!(created["createdAt"], "2001-01-01T00:00:00.000Z");
    assert_eq!(created["products"], json!([]));
    assert!(created.get("cover").is_none() && created.get("isAdmin").is_none());

    let tags = admin.staff_list(Tag, "").await.ok();
    assert_eq!(
        tags["metadata"]["total"], 1,
        "failed creates stored nothing"
    );

    let error = admin
        .staff_get(Tag, "not-an-id")
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    assert!(error["fields"]["id"].is_array());
    // A sign where a hex digit belongs used to name another id (`+9` read as 0x09): 404, not 400.
    admin
        .staff_get(Tag, "0000000000000000000000+9")
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    admin
        .public_get(Tag, "+00000000000000000000000")
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    admin
        .update(Tag, "000000000000000000000009", &json!({"nameEn": "y"}))
        .await
        .fails(StatusCode::NOT_FOUND, "tag_not_found");
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
    let (admin, public) = (shop.as_admin(), shop.anonymous("en"));
    let disable = json!({"disabled": true});
    admin.update(Category, &hidden, &disable).await.ok();

    let listed = public.public_list(Category, "disabled=true").await.ok();
    assert_eq!(ids(&listed), [shown.as_str()]);
    assert_eq!(listed["metadata"]["total"], 1);
    public
        .public_get(Category, &hidden)
        .await
        .fails(StatusCode::NOT_FOUND, "category_not_found");

    let staff = admin.staff_list(Category, "").await.ok();
    assert_eq!(
        ids(&staff),
        [hidden.as_str(), shown.as_str()],
        "newest first"
    );
    let only_disabled = admin.staff_list(Category, "disabled=true").await.ok();
    assert_eq!(ids(&only_disabled), [hidden.as_str()]);
    let error = admin
        .staff_list(Category, "disabled=maybe")
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    assert!(error["fields"]["disabled"].is_array());

    // Belta's admin panel sends `disabled` on labels too: it is a real field here.
    let label = shop.label("مخفي", "Hidden", "#000").await;
    admin.update(Label, &label, &disable).await.ok();
    let labels = public.public_list(Label, "").await.ok();
    assert_eq!(labels["metadata"]["total"], 0);
}

#[tokio::test]
async fn only_an_admin_sets_or_touches_employee_read_only_items() {
    let shop = Shop::open().await;
    let (admin, employee) = (shop.as_admin(), shop.as_employee());
    let read_only = json!({"nameAr": "أ", "nameEn": "a", "employeeReadOnly": true});
    employee
        .create(Tag, &read_only)
        .await
        .fails(StatusCode::FORBIDDEN, "only_admin_can_set_read_only");

    let locked = admin.create(Tag, &read_only).await.created();
    let locked = locked["_id"].as_str().unwrap();
    let open_tag = shop.tag("ج", "c").await;
    let listed = admin.staff_list(Tag, "employeeReadOnly=true").await.ok();
    assert_eq!(ids(&listed), [locked]);
    let writable = admin.staff_list(Tag, "employeeReadOnly=false").await.ok();
    assert_eq!(ids(&writable), [open_tag.as_str()]);
    for refused in [
        employee.update(Tag, locked, &json!({"nameEn": "b"})).await,
        employee.delete(Tag, locked).await,
    ] {
        let error = refused.fails(StatusCode::FORBIDDEN, "only_admin_can_modify");
        assert_eq!(error["error"], "Only admin can modify or delete this Item.");
    }
    let read = employee.staff_get(Tag, locked).await.ok();
    assert_eq!(read["nameEn"], "a", "employees still read it");

    let open = shop.tag("ب", "b").await;
    let ordinary = json!({"nameEn": "c", "employeeReadOnly": false});
    employee.update(Tag, &open, &ordinary).await.ok();

    let unlock = json!({"employeeReadOnly": false});
    let unlocked = admin.update(Tag, locked, &unlock).await.ok();
    assert_eq!(unlocked["employeeReadOnly"], false);
    employee.delete(Tag, locked).await.ok();
}

#[tokio::test]
async fn lists_page_with_exact_totals_and_capped_limits() {
    let shop = Shop::open().await;
    let mut created = Vec::new();
    for i in 0..12 {
        created.push(shop.tag(&format!("وسم {i}"), &format!("Tag {i:02}")).await);
    }
    created.reverse();

    let public = shop.anonymous("en");
    let third = public.public_list(Tag, "page=3&limit=5").await.ok();
    assert_eq!(
        ids(&third),
        created[10..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(
        third["metadata"],
        json!({"total": 12, "page": 3, "limit": 5})
    );
    let past = public.public_list(Tag, "page=9&limit=5").await.ok();
    assert_eq!(past["data"], json!([]));
    assert_eq!(past["metadata"]["total"], 12);
    let capped = public.public_list(Tag, "limit=500").await.ok();
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
        let answer = public.public_list(Tag, bad).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(answer.body["code"], "validation_failed", "{bad}");
    }

    let by_name = public.public_list(Tag, "sort=name&limit=3").await.ok();
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
        let search = format!("search={}", urlencode(query));
        let found = shop
            .anonymous("ar")
            .public_list(Category, &search)
            .await
            .ok();
        assert_eq!(ids(&found), expected, "{query}");
    }
    let search = format!("search={}", urlencode("قهوة"));
    let staff = shop.as_admin().staff_list(Category, &search).await.ok();
    assert_eq!(ids(&staff), [coffee.as_str()]);
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn labels_filter_by_color_and_subcategories_by_category() {
    let shop = Shop::open().await;
    let public = shop.anonymous("en");
    let red = shop.label("أحمر", "Red", "#ff0000").await;
    let _blue = shop.label("أزرق", "Blue", "#0000ff").await;
    let found = public.public_list(Label, "color=%23FF00").await.ok();
    assert_eq!(ids(&found), [red.as_str()]);
    // The admin panel's colour picker sends `rgba(...)`; it is kept as sent and found by its text.
    let picked = shop
        .label("أساسي", "Primary", " rgba(25, 118, 210, 1) ")
        .await;
    let found = public.public_list(Label, "color=RGBA(25").await.ok();
    assert_eq!(ids(&found), [picked.as_str()]);
    assert_eq!(found["data"][0]["color"], "rgba(25, 118, 210, 1)");

    let category = shop.category("ملابس", "Clothes").await;
    let linked = shop.subcategory("قمصان", "Shirts").await;
    let _other = shop.subcategory("أحذية", "Shoes").await;
    shop.as_admin().link_category(&linked, &category).await.ok();
    let of_category = format!("categoryId={category}");
    let found = public.public_list(Subcategory, &of_category).await.ok();
    assert_eq!(ids(&found), [linked.as_str()]);
    public
        .public_list(Subcategory, "categoryId=nope")
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
}

/// A PATCH that sends nothing, or only the stored values, answers the record as it is and writes
/// nothing: no `updatedAt` move, no catalogue version bump (which would make every warm catalogue
/// function reload).
#[tokio::test]
async fn a_patch_that_changes_nothing_writes_nothing() {
    let shop = Shop::open().await;
    let brand = shop.brand("علامة", "Brand").await;
    let label = shop.label("ملصق", "Label", "#FF0000").await;
    let tag = shop.tag("وسم", "Tag").await;
    let product = shop.product("منتج", "Product", 10.0).await;
    let offer = shop
        .create(
            "/offers",
            json!({"productId": product, "type": "percent", "value": 0.1,
                   "offerQuantity": 10, "maxPerClient": 2}),
        )
        .await;
    let cases = [
        (format!("/brands/staff/{brand}"), json!({})),
        (
            format!("/brands/staff/{brand}"),
            json!({"nameEn": " Brand ", "cover": "https://cdn.example/b.png", "disabled": false,
                   "color": "#00FF00"}),
        ),
        (
            format!("/labels/staff/{label}"),
            json!({"color": "#ff0000"}),
        ),
        (
            format!("/tags/staff/{tag}"),
            json!({"nameAr": "وسم", "unknown": 1}),
        ),
        (format!("/products/staff/{product}"), json!({})),
        (
            format!("/products/staff/{product}"),
            json!({"price": 10, "quantity": 5, "coverList": ["https://cdn.example/p.png"]}),
        ),
        (format!("/offers/{offer}"), json!({})),
        (
            format!("/offers/{offer}"),
            json!({"product": product, "type": "percent", "value": 0.1, "maxPerClient": 2}),
        ),
    ];
    for (path, body) in cases {
        let before = shop.admin_ok(Method::GET, &path, None).await;
        let version = catalog::store::current_version(&shop.app.dynamodb, &shop.app.table_name)
            .await
            .unwrap();

        let after = shop
            .admin_ok(Method::PATCH, &path, Some(body.clone()))
            .await;

        assert_eq!(
            after, before,
            "PATCH {path} {body} answers the record as it was"
        );
        assert_eq!(
            catalog::store::current_version(&shop.app.dynamodb, &shop.app.table_name)
                .await
                .unwrap(),
            version,
            "PATCH {path} {body} wrote"
        );
    }
}
