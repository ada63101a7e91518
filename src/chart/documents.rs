//! Clinical documents (`DocumentReference`) as readable blocks of text:
//! plain text, sanitised HTML, or the sections of a CDA R2 document (WS/T
//! 500 shared documents). Nothing here is HTML for the webview: the UI
//! renders [`DocBlock`]s as text.

use std::sync::LazyLock;

use base64::Engine as _;
use regex::Regex;
use serde_json::Value;

use super::Index;
use crate::fhir::{
    array, concept_text, date_choice, human_name, owned, reference_target, str_field,
};
use crate::sanitize::{cda_text_to_html, html_blocks, html_to_text, sanitize_html};
use crate::view::{DocBlock, DocumentFormat, DocumentView};

/// Attachments larger than this are not rendered (a document of this size
/// is not read in a consultation, and parsing it would stall the chart).
const MAX_RENDERED_BYTES: usize = 2 * 1024 * 1024;

/// What kind of text an attachment's content type says it holds.
pub(crate) fn textual_format(content_type: &str) -> Option<DocumentFormat> {
    let t = content_type.trim().to_ascii_lowercase();
    let essence = t.split(';').next().unwrap_or("").trim();
    match essence {
        "text/plain" => Some(DocumentFormat::Text),
        "text/html" | "application/xhtml+xml" => Some(DocumentFormat::Html),
        "application/xml"
        | "text/xml"
        | "application/hl7-v3+xml"
        | "application/cda+xml"
        | "application/hl7-cda+xml" => Some(DocumentFormat::Cda),
        _ => None,
    }
}

/// An attachment's inline text and what kind it is, when it is text of a
/// kind the chart shows and not too large to read in a consultation.
pub(crate) fn readable(
    content_type: Option<&str>,
    data: Option<&str>,
) -> Option<(DocumentFormat, String)> {
    let format = textual_format(content_type?)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data?.trim())
        .ok()
        .filter(|b| b.len() <= MAX_RENDERED_BYTES)?;
    Some((format, String::from_utf8(bytes).ok()?))
}

/// The blocks of an attachment's text in `format`.
pub(crate) fn text_blocks(format: DocumentFormat, text: &str) -> Vec<DocBlock> {
    match format {
        DocumentFormat::Text | DocumentFormat::Narrative => text
            .lines()
            .map(crate::sanitize::plain_text)
            .filter(|line| !line.trim().is_empty())
            .map(|text| DocBlock::Paragraph {
                text: text.trim().to_owned(),
            })
            .collect(),
        DocumentFormat::Html => html_blocks(&sanitize_html(text)),
        DocumentFormat::Cda => cda_blocks(text),
    }
}

/// The body of a CDA document: each section's title as a heading and its
/// narrative block's text. The header (the patient, the author, the
/// custodian) is never rendered: the chart's header shows the patient as
/// the tier allows. A document without a structured body yields nothing.
fn cda_blocks(xml: &str) -> Vec<DocBlock> {
    // Tags with any namespace prefix; the narrative model has no nested
    // <text> or <title>, so the first closing tag ends each.
    static BODY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?s)<(?:[A-Za-z_][\w.-]*:)?structuredBody\b.*").expect("valid regex")
    });
    static PART: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?s)<(?:[A-Za-z_][\w.-]*:)?(title|text)\b[^>]*?(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?(?:title|text)\s*>)",
        )
        .expect("valid regex")
    });
    let Some(body) = BODY.find(xml) else {
        return Vec::new();
    };
    let mut blocks = Vec::new();
    for part in PART.captures_iter(body.as_str()) {
        let inner = part.get(2).map_or("", |m| m.as_str());
        if &part[1] == "title" {
            let text = html_to_text(&cda_text_to_html(inner)).replace('\n', " ");
            if !text.trim().is_empty() {
                blocks.push(DocBlock::Heading {
                    text: text.trim().to_owned(),
                });
            }
        } else {
            blocks.extend(html_blocks(&cda_text_to_html(inner)));
        }
    }
    blocks
}

/// The view of one DocumentReference: its first attachment that is text,
/// else its narrative.
pub(super) fn document_view(id: String, r: &Value, index: &Index<'_>) -> DocumentView {
    let attachments: Vec<&Value> = array(r, "content")
        .filter_map(|c| c.get("attachment"))
        .collect();
    let rendered = attachments.iter().find_map(|a| {
        let (format, text) = readable(str_field(a, "contentType"), str_field(a, "data"))?;
        Some((format, text_blocks(format, &text)))
    });
    let withheld = rendered.is_none() && !attachments.is_empty();
    let (format, blocks) = rendered.unwrap_or_else(|| {
        let narrative = r.pointer("/text/div").and_then(Value::as_str).unwrap_or("");
        (DocumentFormat::Narrative, html_blocks(narrative))
    });
    let kind = r.get("type").and_then(concept_text);
    let title = owned(r, "description")
        .or_else(|| attachments.iter().find_map(|a| owned(a, "title")))
        .or_else(|| kind.clone())
        .unwrap_or_default();
    DocumentView {
        id,
        title,
        kind,
        date: owned(r, "date")
            .or_else(|| r.pointer("/context/period").and_then(|p| owned(p, "start")))
            .or_else(|| attachments.iter().find_map(|a| owned(a, "creation")))
            .or_else(|| date_choice(r, "effective")),
        source: r
            .get("custodian")
            .and_then(|c| index.organization_name(c))
            .or_else(|| index.source_of(r)),
        author: array(r, "author").find_map(|a| match index.get(a) {
            Some(person) if str_field(person, "resourceType") == Some("Practitioner") => {
                human_name(person.get("name"))
            }
            Some(org) if str_field(org, "resourceType") == Some("Organization") => {
                owned(org, "name")
            }
            _ => owned(a, "display"),
        }),
        encounter: array(r.get("context").unwrap_or(&Value::Null), "encounter")
            .find_map(reference_target)
            .map(|(_, id)| id.to_owned()),
        format,
        blocks,
        withheld,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cda_body_reads_as_sections_and_its_header_never_shows() {
        let xml = r#"<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3">
            <title>健康档案摘要</title>
            <recordTarget><patientRole><id extension="110105196503152252"/><patient><name>张伟</name></patient></patientRole></recordTarget>
            <component><structuredBody>
              <component><section><title>问题列表</title><text><list><item><content>高血压</content></item><item>2型糖尿病</item></list></text></section></component>
              <component><section><title>Results &amp; notes</title><text><paragraph>HbA1c &lt; 7%<br/>stable</paragraph>
                <table><tr><th>Test</th><th>Value</th></tr><tr><td>eGFR</td><td>72</td></tr></table></text></section></component>
            </structuredBody></component></ClinicalDocument>"#;
        let blocks = text_blocks(DocumentFormat::Cda, xml);
        assert_eq!(
            blocks,
            [
                DocBlock::Heading {
                    text: "问题列表".into()
                },
                DocBlock::Item {
                    text: "高血压".into()
                },
                DocBlock::Item {
                    text: "2型糖尿病".into()
                },
                DocBlock::Heading {
                    text: "Results & notes".into()
                },
                DocBlock::Paragraph {
                    text: "HbA1c < 7%".into()
                },
                DocBlock::Paragraph {
                    text: "stable".into()
                },
                DocBlock::Row {
                    cells: vec!["Test".into(), "Value".into()]
                },
                DocBlock::Row {
                    cells: vec!["eGFR".into(), "72".into()]
                },
            ]
        );
        let all = format!("{blocks:?}");
        assert!(!all.contains("张伟") && !all.contains("110105"), "{all}");
    }

    #[test]
    fn hostile_html_becomes_its_words() {
        let html = "<html><body><h1>出院小结</h1><p>Patient <b>stable</b></p>\
                    <script>alert('x')</script><img src=x onerror=alert(1)>\
                    <a href=\"javascript:alert(1)\">医院</a></body></html>";
        assert_eq!(
            text_blocks(DocumentFormat::Html, html),
            [
                DocBlock::Heading {
                    text: "出院小结".into()
                },
                DocBlock::Paragraph {
                    text: "Patient stable".into()
                },
                DocBlock::Paragraph {
                    text: "医院".into()
                },
            ]
        );
    }

    #[test]
    fn plain_text_is_a_paragraph_per_line_and_markup_in_it_is_only_text() {
        assert_eq!(
            text_blocks(DocumentFormat::Text, "第一行\n\n  <b>second</b> line \r\n"),
            [
                DocBlock::Paragraph {
                    text: "第一行".into()
                },
                DocBlock::Paragraph {
                    text: "second line".into()
                },
            ]
        );
    }

    #[test]
    fn content_types_are_recognised_with_parameters_and_case() {
        assert_eq!(
            textual_format("Text/Plain; charset=UTF-8"),
            Some(DocumentFormat::Text)
        );
        assert_eq!(textual_format("application/xml"), Some(DocumentFormat::Cda));
        assert_eq!(textual_format("application/pdf"), None);
    }
}
