//! An account's brand on its documents: accent colour and logo. The
//! business name and address come from the account itself.

use std::fmt;

use super::text::ValidationError;

/// A colour as `#rrggbb`, lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccentColour([u8; 3]);

impl AccentColour {
    /// A dark blue that prints well in colour and in grey.
    pub const DEFAULT: Self = Self([0x1f, 0x4e, 0x79]);
    /// What the text of a colour matches (ECMA-262 and Python alike).
    pub const PATTERN: &'static str = "^#[0-9A-Fa-f]{6}$";

    /// Reads `#rrggbb` (either case).
    ///
    /// # Errors
    /// Anything else.
    pub fn parse(field: &str, text: &str) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::new(field, "must be a colour as #rrggbb");
        let hex = text.strip_prefix('#').ok_or_else(invalid)?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| invalid());
        Ok(Self([byte(0)?, byte(2)?, byte(4)?]))
    }

    pub fn rgb(self) -> [u8; 3] {
        self.0
    }
}

impl Default for AccentColour {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for AccentColour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

/// The image formats a logo may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogoFormat {
    Png,
    Svg,
}

impl LogoFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Svg => "image/svg+xml",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Svg => "svg",
        }
    }

    /// The format of a `Content-Type` (parameters ignored).
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "image/png" => Some(Self::Png),
            "image/svg+xml" => Some(Self::Svg),
            _ => None,
        }
    }
}

/// An account's logo: a PNG or SVG image, checked on upload so that every
/// stored logo renders.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    format: LogoFormat,
    bytes: Vec<u8>,
}

/// Why an uploaded logo is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    #[error("a logo must be at most {max} bytes", max = Logo::MAX_BYTES)]
    TooLarge,
    #[error("a logo must not be empty")]
    Empty,
    #[error("the file is not a PNG image")]
    NotPng,
    #[error("a PNG logo must be at most {max}×{max} pixels", max = Logo::MAX_PIXELS)]
    TooManyPixels,
    #[error("the file is not an SVG image (UTF-8 XML with an <svg> root)")]
    NotSvg,
    #[error(
        "an SVG logo must not declare a DOCTYPE or entities, nor refer to other files or scripts"
    )]
    UnsafeSvg,
}

impl Logo {
    /// The largest logo accepted.
    pub const MAX_BYTES: usize = 512 * 1024;
    /// The largest width or height of a PNG logo.
    pub const MAX_PIXELS: u32 = 4096;

    /// Checks an uploaded image.
    ///
    /// # Errors
    /// Too large, empty, not the format it claims, a PNG of more than
    /// [`Logo::MAX_PIXELS`] either way, or an SVG that declares entities
    /// or refers to anything outside itself.
    pub fn new(format: LogoFormat, bytes: Vec<u8>) -> Result<Self, LogoError> {
        if bytes.is_empty() {
            return Err(LogoError::Empty);
        }
        if bytes.len() > Self::MAX_BYTES {
            return Err(LogoError::TooLarge);
        }
        match format {
            LogoFormat::Png => check_png(&bytes)?,
            LogoFormat::Svg => check_svg(&bytes)?,
        }
        Ok(Self { format, bytes })
    }

    /// A logo as a store kept it (checked when it was uploaded).
    pub fn restore(format: LogoFormat, bytes: Vec<u8>) -> Self {
        Self { format, bytes }
    }

    pub fn format(&self) -> LogoFormat {
        self.format
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logo")
            .field("format", &self.format)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The signature, then an `IHDR` chunk whose width and height are within
/// bounds: a small file cannot claim a huge canvas.
fn check_png(bytes: &[u8]) -> Result<(), LogoError> {
    if bytes.len() < 33 || !bytes.starts_with(PNG_SIGNATURE) || &bytes[12..16] != b"IHDR" {
        return Err(LogoError::NotPng);
    }
    let dimension =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let (width, height) = (dimension(16), dimension(20));
    if width == 0 || height == 0 {
        return Err(LogoError::NotPng);
    }
    if width > Logo::MAX_PIXELS || height > Logo::MAX_PIXELS {
        return Err(LogoError::TooManyPixels);
    }
    Ok(())
}

/// UTF-8 text whose first element is `<svg`, with no DOCTYPE (so no
/// entity expansion), no script and no reference to another file or URL
/// (only `#fragment` and inline `data:` references).
fn check_svg(bytes: &[u8]) -> Result<(), LogoError> {
    let text = std::str::from_utf8(bytes).map_err(|_| LogoError::NotSvg)?;
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.trim_start_matches('\u{feff}').trim_start();
    if let Some(after) = rest.strip_prefix("<?xml") {
        rest = after
            .split_once("?>")
            .map(|(_, r)| r.trim_start())
            .ok_or(LogoError::NotSvg)?;
    }
    while let Some(after) = rest.strip_prefix("<!--") {
        rest = after
            .split_once("-->")
            .map(|(_, r)| r.trim_start())
            .ok_or(LogoError::NotSvg)?;
    }
    if rest.starts_with("<!doctype") || lower.contains("<!entity") || lower.contains("<!doctype") {
        return Err(LogoError::UnsafeSvg);
    }
    if !rest.starts_with("<svg") {
        return Err(LogoError::NotSvg);
    }
    if lower.contains("<script") || lower.contains("<foreignobject") {
        return Err(LogoError::UnsafeSvg);
    }
    for attribute in ["href", "src"] {
        let mut from = 0;
        while let Some(found) = lower[from..].find(attribute) {
            let at = from + found + attribute.len();
            from = at;
            let value = lower[at..].trim_start();
            let Some(value) = value.strip_prefix('=') else {
                continue;
            };
            let value = value
                .trim_start()
                .trim_start_matches(['"', '\''])
                .trim_start();
            if !(value.starts_with('#') || value.starts_with("data:")) {
                return Err(LogoError::UnsafeSvg);
            }
        }
    }
    if lower.contains("url(")
        && lower.split("url(").skip(1).any(|u| {
            let u = u.trim_start().trim_start_matches(['"', '\'']);
            !u.starts_with('#')
        })
    {
        return Err(LogoError::UnsafeSvg);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = PNG_SIGNATURE.to_vec();
        bytes.extend_from_slice(&13u32.to_be_bytes());
        bytes.extend_from_slice(b"IHDR");
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn colours_read_either_case_and_print_lower() {
        let colour = AccentColour::parse("accent_colour", "#1F4e79").unwrap();
        assert_eq!(colour.to_string(), "#1f4e79");
        assert_eq!(colour, AccentColour::DEFAULT);
        for bad in ["1f4e79", "#1f4e7", "#1f4e7g", "#1f4e7900", "", "#", "red"] {
            assert!(AccentColour::parse("accent_colour", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn png_logos_are_checked_by_their_header() {
        assert!(Logo::new(LogoFormat::Png, png(400, 120)).is_ok());
        assert_eq!(
            Logo::new(LogoFormat::Png, png(5000, 10)).unwrap_err(),
            LogoError::TooManyPixels
        );
        assert_eq!(
            Logo::new(LogoFormat::Png, png(0, 10)).unwrap_err(),
            LogoError::NotPng
        );
        assert_eq!(
            Logo::new(LogoFormat::Png, b"GIF89a".repeat(10)).unwrap_err(),
            LogoError::NotPng
        );
        assert_eq!(
            Logo::new(LogoFormat::Png, Vec::new()).unwrap_err(),
            LogoError::Empty
        );
        let mut big = png(10, 10);
        big.resize(Logo::MAX_BYTES + 1, 0);
        assert_eq!(
            Logo::new(LogoFormat::Png, big).unwrap_err(),
            LogoError::TooLarge
        );
    }

    #[test]
    fn svg_logos_refuse_entities_scripts_and_outside_references() {
        let fine = r##"<?xml version="1.0"?><!-- logo --><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="10" height="10"/><use href="#g"/></svg>"##;
        assert!(Logo::new(LogoFormat::Svg, fine.into()).is_ok());
        for (bad, why) in [
            (
                r#"<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>"#,
                LogoError::UnsafeSvg,
            ),
            (
                r#"<svg><script>alert(1)</script></svg>"#,
                LogoError::UnsafeSvg,
            ),
            (
                r#"<svg><image href="file:///etc/passwd"/></svg>"#,
                LogoError::UnsafeSvg,
            ),
            (
                r#"<svg><image xlink:href = 'https://example.com/x.png'/></svg>"#,
                LogoError::UnsafeSvg,
            ),
            (
                r#"<svg><rect style="fill:url(https://example.com/x)"/></svg>"#,
                LogoError::UnsafeSvg,
            ),
            (r#"<html><svg/></html>"#, LogoError::NotSvg),
        ] {
            assert_eq!(
                Logo::new(LogoFormat::Svg, bad.into()).unwrap_err(),
                why,
                "{bad}"
            );
        }
        assert_eq!(
            Logo::new(LogoFormat::Svg, vec![0xff, 0xfe, 0x3c]).unwrap_err(),
            LogoError::NotSvg
        );
    }

    #[test]
    fn content_types_name_formats() {
        assert_eq!(
            LogoFormat::from_content_type("image/SVG+xml; charset=utf-8"),
            Some(LogoFormat::Svg)
        );
        assert_eq!(
            LogoFormat::from_content_type("image/png"),
            Some(LogoFormat::Png)
        );
        assert_eq!(LogoFormat::from_content_type("image/gif"), None);
    }
}
