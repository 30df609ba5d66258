//! A sheet as the templates read it: `sys.inputs`.
//!
//! The sheet's JSON becomes a typst dictionary, so every value reaches the
//! template as a string and is printed as text, never parsed as markup.

use portal_domain::model::{AccentColour, LogoFormat, Sheet};
use serde_json::Value;
use typst::foundations::{Dict, IntoValue as _, Str};

use crate::fonts::FONTS;
use crate::ledger;

/// Where the template finds the logo, by its format.
pub(crate) fn logo_path(format: LogoFormat) -> &'static str {
    match format {
        LogoFormat::Png => "/logo.png",
        LogoFormat::Svg => "/logo.svg",
    }
}

/// `sys.inputs` for a sheet: the sheet's fields (with `sheet` naming its
/// kind), every string made printable, an unreadable accent colour
/// replaced by the default, `logo`: the path of the logo (of format
/// `logo`), or `none`, and for a statement each section's `layout` (see
/// [`ledger`]).
pub(crate) fn inputs(sheet: &Sheet, logo: Option<LogoFormat>) -> Result<Dict, String> {
    let mut json = serde_json::to_value(sheet).map_err(|e| format!("sheet to JSON: {e}"))?;
    make_printable(&mut json);
    if matches!(sheet, Sheet::Statement(_)) {
        ledger::add_layouts(&mut json);
    }
    // A colour the template could not read would fail the render.
    if let Some(accent) = json.pointer_mut("/letterhead/accent")
        && AccentColour::parse("accent", accent.as_str().unwrap_or_default()).is_err()
    {
        *accent = Value::String(AccentColour::DEFAULT.to_string());
    }
    let mut dict: Dict =
        serde_json::from_value(json).map_err(|e| format!("sheet to typst inputs: {e}"))?;
    let logo = logo.map(|format| Str::from(logo_path(format)));
    dict.insert("logo".into(), logo.into_value());
    Ok(dict)
}

fn make_printable(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Some(clean) = FONTS.printable(text) {
                *text = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(make_printable),
        Value::Object(fields) => fields.values_mut().for_each(make_printable),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}
