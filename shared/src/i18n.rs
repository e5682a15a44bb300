//! Languages and the catalogue of every message a client can read.
//!
//! Belta answers in Arabic unless the client asks for English (`Accept-Language`). All user-facing text
//! lives here, next to its stable `code`, so a translation never drifts from the code it explains.
//! Where Belta has a message for a code (its `src/messages/{ar,en}.json`), the text is Belta's, word for
//! word: the admin panel and the store show it as they receive it.

use std::fmt;

use http::HeaderMap;

/// The language of a response. Arabic is Belta's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Ar,
    En,
}

impl Lang {
    /// Picks the preferred supported language from an `Accept-Language` value (RFC 9110 §12.5.4):
    /// the highest q-value wins, ties go to the earlier entry, `q=0` means "not this one", and
    /// region subtags are ignored (`en-US` is English). Anything unusable falls back to Arabic.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(header) = accept_language else {
            return Lang::default();
        };
        let mut best: Option<(Lang, f32)> = None;
        for entry in header.split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let primary = tag.split(['-', '_']).next().unwrap_or("");
            let lang = if primary.eq_ignore_ascii_case("ar") {
                Lang::Ar
            } else if primary.eq_ignore_ascii_case("en") {
                Lang::En
            } else {
                continue;
            };
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if !(quality > 0.0 && quality <= 1.0) {
                continue;
            }
            if best.is_none_or(|(_, q)| quality > q) {
                best = Some((lang, quality));
            }
        }
        best.map(|(lang, _)| lang).unwrap_or_default()
    }

    pub fn from_headers(headers: &HeaderMap) -> Lang {
        Lang::negotiate(
            headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    }

    /// Picks the Arabic or English variant of a text.
    pub fn pick<'a>(self, ar: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ar => ar,
            Lang::En => en,
        }
    }

    pub fn tag(self) -> &'static str {
        self.pick("ar", "en")
    }
}

/// Declares [`Msg`] from one table: each message's variant, stable snake_case `code`, and Arabic and
/// English text stand on one line, so a message is added (or reworded) in exactly one place.
macro_rules! messages {
    ($($variant:ident => $code:literal, $ar:literal, $en:literal;)*) => {
        /// A message for a whole error: its stable `code` (clients switch on it) and its text in both
        /// languages (people read it).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Msg {
            $($variant,)*
        }

        impl Msg {
            /// Every message, for checks over the whole catalogue.
            pub const ALL: &[Msg] = &[$(Msg::$variant,)*];

            pub fn code(self) -> &'static str {
                match self {
                    $(Msg::$variant => $code,)*
                }
            }

            pub fn text(self, lang: Lang) -> &'static str {
                match self {
                    $(Msg::$variant => lang.pick($ar, $en),)*
                }
            }
        }
    };
}

messages! {
    RouteNotFound => "route_not_found", "المسار المطلوب غير موجود.", "The requested route does not exist.";
    MethodNotAllowed => "method_not_allowed", "هذه الطريقة غير مسموح بها لهذا المسار.", "This method is not allowed on this route.";
    MalformedJson => "malformed_json", "نص الطلب ليس JSON صالحًا.", "The request body is not valid JSON.";
    ValidationFailed => "validation_failed", "بعض الحقول غير صالحة.", "Some fields are invalid.";
    UnsupportedMediaType => "unsupported_media_type", "نوع المحتوى غير مدعوم؛ أرسل application/json.", "Unsupported content type; send application/json.";
    PayloadTooLarge => "payload_too_large", "حجم الطلب أكبر من المسموح.", "The request body is too large.";
    NotFound => "not_found", "العنصر غير موجود.", "The item was not found.";
    Conflict => "conflict", "يتعارض الطلب مع الحالة الحالية.", "The request conflicts with the current state.";
    Unauthorized => "unauthorized", "غير مصرح.", "unauthorized";
    Forbidden => "forbidden", "ليس لديك صلاحية للوصول إلى هذا المورد.", "You are not allowed to access this resource.";
    TooManyRequests => "too_many_requests", "طلبات كثيرة جدًا، حاول لاحقًا.", "Too many requests, try again later.";
    ServiceUnavailable => "service_unavailable", "الخدمة مشغولة مؤقتًا، حاول بعد قليل.", "The service is busy, try again shortly.";
    Internal => "internal_error", "حدث خطأ غير متوقع.", "Something went wrong on our side.";
    PaymentProviderError => "payment_provider_error", "تعذّر على مزوّد الدفع تنفيذ الطلب. حاول لاحقًا.", "The payment provider could not handle the request. Try again later.";
    PaymentSessionNotFound => "payment_session_not_found", "جلسة الدفع غير موجودة.", "The payment session was not found.";
    BadWebhookSignature => "bad_webhook_signature", "توقيع الإشعار غير صالح.", "The webhook signature is invalid.";
    StaffOnly => "staff_only", "هذا المورد متاح لفريق العمل فقط.", "Only staff members can access this resource";
    InvalidCredentials => "invalid_email_or_password", "البريد الإلكتروني أو كلمة المرور غير صحيحة.", "Invalid Email or Password.";
    DuplicateEmail => "duplicate_email_error", "البريد الإلكتروني مستخدم بالفعل.", "Email already exists.";
    InvalidOtp => "invalid_otp", "رمز التحقق غير صحيح أو منتهي الصلاحية.", "The provided OTP is incorrect or expired.";
    EmailAlreadyConfirmed => "email_already_confirmed", "هذا البريد الإلكتروني مؤكد بالفعل. لا يلزم اتخاذ أي إجراء آخر.", "This email is already verified. No further action is needed.";
    SamePassword => "same_password", "لا يمكن أن تكون كلمة المرور الجديدة نفس كلمة المرور الحالية.", "The new password cannot be the same as your current password.";
    TooManyLoginAttempts => "too_many_login_attempts", "محاولات دخول فاشلة كثيرة، حاول لاحقًا.", "Too many failed login attempts, try again later.";
    TooManyWrongCodes => "too_many_wrong_codes", "أُدخلت رموز خاطئة كثيرة، انتظر قبل المحاولة مرة أخرى.", "Too many wrong codes, wait before trying again.";
    TooManyCodes => "too_many_codes", "طلبت رموزًا كثيرة، انتظر قبل طلب رمز جديد.", "Too many codes requested, wait before asking for another.";
    OAuthNotConfigured => "oauth_not_configured", "تسجيل الدخول بهذا المزوّد غير مفعّل.", "Sign-in with this provider is not enabled.";
    RedirectNotAllowed => "redirect_not_allowed", "عنوان إعادة التوجيه غير مسموح به.", "The redirect address is not allowed.";
    InvalidOAuthState => "invalid_oauth_state", "طلب تسجيل الدخول غير صالح أو منتهي الصلاحية، ابدأ من جديد.", "The sign-in request is invalid or expired; start again.";
    InvalidOAuthProof => "invalid_oauth_proof", "إثبات تسجيل الدخول غير صالح أو مستخدم أو منتهي الصلاحية.", "The sign-in proof is invalid, used or expired.";
    ProviderAccountLinked => "provider_account_linked", "هذا الحساب مرتبط بحساب آخر بالفعل.", "This provider account already has an account.";
    InvalidIdToken => "invalid_id_token", "رمز الهوية غير صالح.", "The ID token is invalid.";
    EmailNotVerified => "email_not_verified", "البريد الإلكتروني غير مؤكد لدى مزوّد الدخول.", "The provider has not verified this email.";
    StaffRoleNeedsAdmin => "staff_role_needs_admin", "فقط المدير يمكنه إنشاء حسابات فريق العمل.", "Only an admin can create staff accounts.";
    SessionNotFound => "session_not_found", "الجلسة غير موجودة.", "The session was not found.";
    UploadNotFound => "upload_not_found", "عملية الرفع غير موجودة.", "The upload was not found.";
    MalformedMultipart => "malformed_multipart", "الطلب ليس نموذج multipart صالحًا.", "The request is not a valid multipart form.";
    ExpectedMultipart => "expected_multipart", "أرسل الملفات بصيغة multipart/form-data.", "Send files as multipart/form-data.";
    NotAnImage => "unsupported_file_type", "يُقبل فقط JPEG وPNG وWebP وGIF وAVIF.", "Only JPEG, PNG, WebP, GIF and AVIF images are accepted.";
    TooManyFiles => "too_many_files", "عدد الملفات أكبر من المسموح.", "Too many files in one request.";
    NoFileUploaded => "no_file_uploaded", "لم يتم رفع أي ملف.", "No file uploaded";
    NoFilesUploaded => "no_files_uploaded", "لم يتم رفع أي ملفات.", "No files uploaded";
    FileTooLarge => "file_too_large", "حجم الملف كبير جدًا.", "File size is too large.";
    ProductNotFound => "product_not_found", "المنتج غير موجود.", "Product not found";
    BrandNotFound => "brand_not_found", "العلامة التجارية غير موجودة.", "Brand not found";
    CategoryNotFound => "category_not_found", "الفئة غير موجودة.", "Category not found";
    SubcategoryNotFound => "subcategory_not_found", "الفئة الفرعية غير موجودة.", "Subcategory not found";
    LabelNotFound => "label_not_found", "الملصق غير موجود.", "Label not found";
    TagNotFound => "tag_not_found", "الوسم غير موجود.", "Tag not found";
    OfferNotFound => "offer_not_found", "العرض غير موجود.", "Offer not found";
    BrandHasProducts => "brand_has_products", "لا يمكن حذف العلامة التجارية لأنها تحتوي على منتجات.", "Cannot delete brand because it has products.";
    CategoryHasSubcategories => "category_has_subcategories", "لا يمكن حذف الفئة لأنها تحتوي على فئات فرعية.", "Cannot delete category because it has subcategories.";
    SubcategoryHasProducts => "subcategory_has_products", "لا يمكن حذف الفئة الفرعية لأنها تحتوي على منتجات.", "Cannot delete subcategory because it has products.";
    OnlyAdminCanModify => "only_admin_can_modify", "فقط المدير يمكنه تعديل أو حذف هذا العنصر.", "Only admin can modify or delete this Item.";
    OnlyAdminCanSetReadOnly => "only_admin_can_set_read_only", "فقط المدير يمكنه تعيين employeeReadOnly إلى true.", "Only admin can modify or set employeeReadOnly to true";
    AlreadyLinked => "already_linked", "العنصر مرتبط بالفعل.", "The item is already linked.";
    NotLinked => "not_linked", "العنصر غير مرتبط.", "The item is not linked.";
    TooManyLinks => "too_many_links", "تم بلوغ الحد الأقصى للارتباطات لهذا المنتج.", "This product already has the maximum number of links of this kind.";
    ProductHasOffer => "product_has_offer", "المنتج لديه عرض بالفعل.", "Product already has an offer";
    ChangedConcurrently => "changed_concurrently", "تغيّر العنصر أثناء طلبك؛ أعد التحميل وحاول مجددًا.", "The item changed while your request ran; reload and try again.";
    ProductDeleted => "product_deleted", "تم حذف المنتج بنجاح.", "Product deleted successfully";
    BrandDeleted => "brand_deleted", "تم حذف العلامة التجارية بنجاح.", "Brand deleted successfully";
    CategoryDeleted => "category_deleted", "تم حذف الفئة بنجاح.", "Category deleted successfully";
    SubcategoryDeleted => "subcategory_deleted", "تم حذف الفئة الفرعية بنجاح.", "Subcategory deleted successfully";
    LabelDeleted => "label_deleted", "تم حذف الملصق بنجاح.", "Label deleted successfully";
    OfferDeleted => "offer_deleted", "تم حذف العرض بنجاح.", "Offer deleted successfully";
    ClientOnly => "client_only", "هذا الإجراء غير مسموح لهذا المستخدم.", "This action is not allowed for this user";
    CartIsEmpty => "cart_is_empty", "السلة فارغة", "Cart is empty";
    CartFull => "cart_full", "تتسع السلة لـ 30 منتجًا على الأكثر؛ ادفع ثمن بعضها أو احذف بعضها أولًا.", "A cart holds at most 30 products; check out or remove some first.";
    UserNotFound => "user_not_found", "المستخدم غير موجود.", "User not found";
    CartNotFound => "cart_not_found", "السلة غير موجودة.", "Cart not found";
    ProductsUnavailable => "products_unavailable", "بعض المنتجات غير متاحة بالكمية المطلوبة.", "Some products are not available in the requested quantity.";
    OrderNotFound => "order_not_found", "الطلب غير موجود.", "Order not found";
    OrderStatusLocked => "order_status_locked", "لا يمكن تغيير حالة هذا الطلب إلى الحالة المطلوبة.", "This order cannot move to the requested status.";
    CheckoutNotFound => "checkout_not_found", "جلسة الدفع غير موجودة.", "Checkout session not found";
    PaymentNotConfirmed => "payment_not_confirmed", "لم يؤكد مزود الدفع هذه العملية بعد.", "The payment provider has not confirmed this payment.";
    DeletedUser => "deleted_user", "مستخدم محذوف", "Deleted user";
    AdminOnly => "admin_only", "هذا المورد متاح للمديرين فقط.", "Only admins can access this resource";
    AccountDisabled => "account_disabled", "تم تعطيل هذا الحساب. تواصل مع مدير المتجر.", "This account is disabled. Contact the shop's administrator.";
    LastAdmin => "last_admin", "لا يمكن تخفيض دور آخر مدير أو تعطيله أو حذفه.", "The last admin cannot be demoted, disabled or deleted.";
    NothingToChange => "nothing_to_change", "أرسل الدور أو حالة التعطيل على الأقل.", "Send at least a role or a disabled state.";
    UserDeleted => "user_deleted", "تم حذف المستخدم بنجاح.", "User deleted successfully";
    AccountDeleted => "account_deleted", "تم حذف حسابك وبياناتك الشخصية.", "Your account and its personal data were deleted.";
    WrongPassword => "wrong_password", "كلمة المرور غير صحيحة.", "The password is incorrect.";
    SignInAgain => "sign_in_again", "سجّل الدخول مرة أخرى ثم احذف الحساب خلال 10 دقائق.", "Sign in again, then delete the account within 10 minutes.";
}

/// The JSON kind a field should have had, for "wrong type" messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
}

/// One problem with one field of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldIssue {
    Required,
    WrongType(JsonKind),
    /// A value of the right type that is not acceptable (an unknown enum value, a bad format).
    Invalid,
    InvalidId,
    /// Text length in characters, inclusive bounds.
    Length {
        min: usize,
        max: usize,
    },
    /// A number outside an inclusive range, bounds already formatted for display.
    Range {
        min: String,
        max: String,
    },
    OneOf(&'static [&'static str]),
    /// A body key or query parameter sent more than once (`?page=1&page=2`).
    Repeated,
    TooManyDecimals,
    /// Control, bidirectional-override or invisible characters in text people read (`crate::text`).
    HiddenCharacters,
    /// A URL whose origin is not one of the shop's own (no open redirect).
    OriginNotAllowed,
    /// A product that cannot be bought as asked, named in both languages.
    Product {
        name_ar: String,
        name_en: String,
        problem: ProductProblem,
    },
}

/// Why a product of a cart cannot be bought as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductProblem {
    /// Fewer left than asked for.
    OutOfStock { available: u64 },
    /// Deleted or disabled.
    Unavailable,
    /// More units at the offer price than the offer has left or allows one client.
    OfferLimit { max: u64 },
}

impl FieldIssue {
    pub fn text(&self, lang: Lang) -> String {
        match self {
            FieldIssue::Required => lang
                .pick("هذا الحقل مطلوب.", "This field is required.")
                .into(),
            FieldIssue::WrongType(kind) => {
                let (ar, en) = match kind {
                    JsonKind::String => ("نصًا", "a string"),
                    JsonKind::Integer => ("عددًا صحيحًا", "an integer"),
                    JsonKind::Number => ("رقمًا", "a number"),
                    JsonKind::Boolean => ("قيمة منطقية (true/false)", "a boolean"),
                    JsonKind::Array => ("قائمة", "an array"),
                    JsonKind::Object => ("كائنًا", "an object"),
                };
                match lang {
                    Lang::Ar => format!("يجب أن تكون القيمة {ar}."),
                    Lang::En => format!("Must be {en}."),
                }
            }
            FieldIssue::Invalid => lang
                .pick("القيمة غير صالحة.", "The value is not valid.")
                .into(),
            FieldIssue::InvalidId => lang
                .pick(
                    "المعرّف غير صالح (24 حرفًا سداسيًا عشريًا).",
                    "Not a valid id (24 hexadecimal characters).",
                )
                .into(),
            FieldIssue::Length { min, max } => match lang {
                Lang::Ar => format!("يجب أن يكون الطول بين {min} و{max} حرفًا."),
                Lang::En => format!("Must be between {min} and {max} characters long."),
            },
            FieldIssue::Range { min, max } => match lang {
                Lang::Ar => format!("يجب أن تكون القيمة بين {min} و{max}."),
                Lang::En => format!("Must be between {min} and {max}."),
            },
            FieldIssue::OneOf(allowed) => {
                let list = allowed.join(", ");
                match lang {
                    Lang::Ar => format!("يجب أن تكون إحدى القيم: {list}."),
                    Lang::En => format!("Must be one of: {list}."),
                }
            }
            FieldIssue::Repeated => lang
                .pick("أُرسلت هذه القيمة أكثر من مرة.", "Sent more than once.")
                .into(),
            FieldIssue::TooManyDecimals => lang
                .pick(
                    "يُسمح بخانتين عشريتين على الأكثر.",
                    "At most two decimal places are allowed.",
                )
                .into(),
            FieldIssue::HiddenCharacters => lang
                .pick(
                    "يحتوي النص على محارف تحكم أو محارف غير مرئية غير مسموح بها.",
                    "Contains control or invisible characters, which are not allowed.",
                )
                .into(),
            FieldIssue::OriginNotAllowed => lang
                .pick(
                    "يجب أن يكون الرابط على أحد نطاقات المتجر.",
                    "Must be a URL on one of the shop's own origins.",
                )
                .into(),
            FieldIssue::Product {
                name_ar,
                name_en,
                problem,
            } => {
                let name = lang.pick(name_ar, name_en);
                match (problem, lang) {
                    (ProductProblem::OutOfStock { available }, Lang::Ar) => {
                        format!("{name}: المتبقي في المخزون {available} فقط.")
                    }
                    (ProductProblem::OutOfStock { available }, Lang::En) => {
                        format!("{name}: only {available} left in stock.")
                    }
                    (ProductProblem::Unavailable, Lang::Ar) => format!("{name}: لم يعد متاحًا."),
                    (ProductProblem::Unavailable, Lang::En) => {
                        format!("{name}: no longer available.")
                    }
                    (ProductProblem::OfferLimit { max }, Lang::Ar) => {
                        format!("{name}: {max} قطعة على الأكثر بسعر العرض.")
                    }
                    (ProductProblem::OfferLimit { max }, Lang::En) => {
                        format!("{name}: at most {max} at the offer price.")
                    }
                }
            }
        }
    }
}

impl fmt::Display for FieldIssue {
    /// English text, for logs and test failure messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_negotiation_follows_quality_values() {
        let cases = [
            (None, Lang::Ar, "no header means the default"),
            (Some("en"), Lang::En, "plain English"),
            (Some("ar"), Lang::Ar, "plain Arabic"),
            (
                Some("en-US,en;q=0.9"),
                Lang::En,
                "a browser's English with region",
            ),
            (
                Some("ar-EG,ar;q=0.9,en;q=0.8"),
                Lang::Ar,
                "Arabic preferred",
            ),
            (
                Some("fr-FR,fr;q=0.9,en;q=0.8"),
                Lang::En,
                "English is the best supported one",
            ),
            (
                Some("ar;q=0.4, en;q=0.7"),
                Lang::En,
                "higher q wins over order",
            ),
            (
                Some("en;q=0, ar;q=0.1"),
                Lang::Ar,
                "q=0 excludes a language",
            ),
            (
                Some("en;q=0"),
                Lang::Ar,
                "only an excluded language falls back",
            ),
            (
                Some("de, *"),
                Lang::Ar,
                "wildcard and unsupported fall back",
            ),
            (Some("EN-gb"), Lang::En, "tags are case-insensitive"),
            (Some("en;q=abc"), Lang::En, "an unreadable q counts as 1"),
            (Some(",,;"), Lang::Ar, "garbage falls back"),
        ];
        for (header, expected, why) in cases {
            assert_eq!(Lang::negotiate(header), expected, "{why}: {header:?}");
        }
    }

    #[test]
    fn every_message_has_both_languages_and_a_snake_case_code() {
        for &msg in Msg::ALL {
            assert_ne!(msg.text(Lang::Ar), msg.text(Lang::En), "{msg:?}");
            assert!(
                msg.code()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_'),
                "{msg:?}"
            );
        }
    }
}
