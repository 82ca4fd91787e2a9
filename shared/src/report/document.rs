//! The report as a document: sections of lines, fields and charts, independent of Slack.

use super::Period;
use super::chart::ChartData;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    Daily,
    Weekly,
}

impl ReportKind {
    pub fn name(self) -> &'static str {
        match self {
            ReportKind::Daily => "daily",
            ReportKind::Weekly => "weekly",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub kind: ReportKind,
    pub title: String,
    pub period: Period,
    /// One sentence that stands for the whole report (notification text, fallback).
    pub summary: String,
    pub sections: Vec<Section>,
}

impl Report {
    /// Every chart in the report, in reading order.
    pub fn charts(&self) -> impl Iterator<Item = &Chart> {
        self.sections.iter().flat_map(|s| s.charts.iter())
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    pub heading: String,
    pub lines: Vec<Line>,
    pub fields: Vec<Field>,
    pub charts: Vec<Chart>,
    /// A closing remark in small print (how figures were computed, what was left out).
    pub note: Option<String>,
    /// The model the section is about, when it is about one: the model's subscribers are
    /// mentioned at its heading.
    pub model: Option<String>,
}

impl Section {
    pub fn new(heading: impl Into<String>) -> Self {
        Self {
            heading: heading.into(),
            ..Self::default()
        }
    }
}

/// How a line reads at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Watch,
    Bad,
    Critical,
    Neutral,
}

/// One line: an optional lead in bold (a model name), then plain text.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub tone: Tone,
    pub lead: Option<String>,
    pub text: String,
    /// The model the line is about (its lead): where the model's subscribers are mentioned
    /// when no section is about it.
    pub model: Option<String>,
}

impl Line {
    pub fn new(tone: Tone, text: impl Into<String>) -> Self {
        Self {
            tone,
            lead: None,
            text: text.into(),
            model: None,
        }
    }

    pub fn led(tone: Tone, lead: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            tone,
            lead: Some(lead.into()),
            text: text.into(),
            model: None,
        }
    }

    /// A line led by the model it is about.
    pub fn about(tone: Tone, model: impl Into<String>, text: impl Into<String>) -> Self {
        let model = model.into();
        Self {
            model: Some(model.clone()),
            ..Self::led(tone, model, text)
        }
    }
}

/// A labelled figure (`MTTR` → `42 min`).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub label: String,
    pub value: String,
}

impl Field {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// A chart: its id (file name without `.png`), title, alt text and the data it draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub id: String,
    pub title: String,
    /// One sentence with the key numbers, for the image block and the text fallback.
    pub alt_text: String,
    pub data: ChartData,
}
