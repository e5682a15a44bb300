//! Image types, recognised from a file's first bytes (never from its name or a declared type).

/// The images the shop accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
    Gif,
    Avif,
}

impl ImageType {
    pub const ALL: [ImageType; 5] = [
        ImageType::Jpeg,
        ImageType::Png,
        ImageType::Webp,
        ImageType::Gif,
        ImageType::Avif,
    ];

    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
            ImageType::Gif => "image/gif",
            ImageType::Avif => "image/avif",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Jpeg => "jpg",
            ImageType::Png => "png",
            ImageType::Webp => "webp",
            ImageType::Gif => "gif",
            ImageType::Avif => "avif",
        }
    }

    /// The type a client declares for a direct upload (`image/jpeg`, ...); `image/jpg` is accepted too.
    pub fn from_mime(mime: &str) -> Option<ImageType> {
        let essence = mime
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "image/jpg" => Some(ImageType::Jpeg),
            other => Self::ALL.into_iter().find(|t| t.mime() == other),
        }
    }

    /// Recognises an image by its signature. SVG (which can carry scripts), HTML and everything else: `None`.
    pub fn detect(bytes: &[u8]) -> Option<ImageType> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageType::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(ImageType::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageType::Webp)
        } else if is_avif(bytes) {
            Some(ImageType::Avif)
        } else {
            None
        }
    }
}

/// An ISO-BMFF `ftyp` box whose major or compatible brands include `avif` or `avis`.
fn is_avif(bytes: &[u8]) -> bool {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return false;
    }
    let box_size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = box_size.clamp(16, bytes.len());
    // Major brand at 8..12, minor version at 12..16, compatible brands from 16 on.
    std::iter::once(&bytes[8..12])
        .chain(bytes[16..end].chunks_exact(4))
        .any(|brand| brand == b"avif" || brand == b"avis")
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Smallest headers that identify each type, for tests.
    pub fn sample(kind: ImageType) -> Vec<u8> {
        let mut bytes = match kind {
            ImageType::Jpeg => vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'],
            ImageType::Png => b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            ImageType::Gif => b"GIF89a\x01\0\x01\0".to_vec(),
            ImageType::Webp => b"RIFF\x24\0\0\0WEBPVP8 ".to_vec(),
            ImageType::Avif => b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf".to_vec(),
        };
        bytes.extend_from_slice(&[0u8; 32]);
        bytes
    }

    #[test]
    fn every_accepted_type_is_recognised_by_its_bytes() {
        for kind in ImageType::ALL {
            assert_eq!(ImageType::detect(&sample(kind)), Some(kind), "{kind:?}");
        }
        let heic_with_avif_brand = b"\0\0\0\x20ftypheic\0\0\0\0mif1heicavifmiaf".to_vec();
        assert_eq!(
            ImageType::detect(&heic_with_avif_brand),
            Some(ImageType::Avif)
        );
    }

    #[test]
    fn svg_html_and_other_files_are_not_images() {
        for bytes in [
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"[..],
            b"<!DOCTYPE html><html>",
            b"%PDF-1.7",
            b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom",
            b"RIFF\x24\0\0\0WAVEfmt ",
            b"",
            b"\xFF\xD8",
        ] {
            assert_eq!(
                ImageType::detect(bytes),
                None,
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn declared_types_map_to_images_only() {
        assert_eq!(ImageType::from_mime("image/png"), Some(ImageType::Png));
        assert_eq!(ImageType::from_mime("IMAGE/JPG"), Some(ImageType::Jpeg));
        assert_eq!(ImageType::from_mime("image/svg+xml"), None);
        assert_eq!(ImageType::from_mime("text/html"), None);
    }
}
