//! JSON for server functions, decoded from text the way hydration decodes resources.
//!
//! server_fn's own JSON codec decodes with `serde_json::from_slice`, while resources sent with the
//! page are decoded with `serde_json::from_str`: the WebAssembly then carries every response type's
//! deserializer twice. Decoding responses from text too keeps one copy (BENCHMARKS.md, bundle).

use leptos::server_fn::Bytes;
use leptos::server_fn::codec::Post;
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
        decode_text(text)
    }
}

/// In the browser: plain decoding of the server's answers.
#[cfg(not(feature = "ssr"))]
fn decode_text<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(text)
}

/// On the server: a request's arguments, with the path of the one that did not decode in the
/// message (R23: the answer names the field), e.g. `selection.Rows[2]: invalid length 1`.
#[cfg(feature = "ssr")]
fn decode_text<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." {
            inner
        } else {
            serde::de::Error::custom(format!("{path}: {inner}"))
        }
    })?;
    deserializer.end()?;
    Ok(value)
}

/// Arguments and results as JSON in the body of a POST.
pub type Json = Post<JsonText>;
