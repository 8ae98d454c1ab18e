//! `[label_studio]` settings: where Label Studio is, how it reaches PPI, the shared secrets,
//! the media allow-list, the reconcile loop and the pre-annotation region rules.

use ppi_core::config::{var, ConfigError, EnvVar, Kind};
use ppi_core::secret::Secret;

/// How speech segments become timeline regions.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegionRules {
    /// Neighbouring segments closer than this (seconds) are merged into one region.
    pub max_gap_secs: f64,
    /// A region is not grown beyond this length; longer speech is split at segment bounds.
    pub max_region_secs: f64,
    /// Regions shorter than this are merged into a neighbour (or dropped when alone).
    pub min_region_secs: f64,
    /// Where the speakers are known, one region per stretch of one activity (with its
    /// evidence) instead of one per sentence (`PPI_LS_REGIONS_BY_ACTIVITY`).
    pub by_activity: bool,
}

impl Default for RegionRules {
    fn default() -> Self {
        RegionRules {
            max_gap_secs: 1.5,
            max_region_secs: 60.0,
            min_region_secs: 1.0,
            by_activity: true,
        }
    }
}

/// Agreement between a task's annotators and the gate in front of review
/// (`[label_studio.agreement]`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgreementSettings {
    /// Intervals match when their IoU reaches this (`PPI_AGREEMENT_IOU`).
    pub iou: f64,
    /// The κ a task needs for its consensus to reach review (`PPI_AGREEMENT_GATE`).
    pub gate: f64,
    /// Which κ the gate reads: pooled, macro or alpha (`PPI_AGREEMENT_MEASURE`).
    pub measure: ppi_agreement::GateMeasure,
    /// majority or mean (`PPI_CONSENSUS`).
    pub consensus: ppi_agreement::ConsensusRule,
    /// Accepted annotations a task needs before anything goes to review; default: the
    /// project's planned annotators (`ppi ls bootstrap --annotators N`), and with one planned,
    /// one (that annotation goes to review; a second one turns agreement on)
    /// (`PPI_LS_MIN_ANNOTATIONS`).
    pub min_annotations: Option<u32>,
}

impl Default for AgreementSettings {
    fn default() -> Self {
        AgreementSettings {
            iou: 0.5,
            gate: 0.6,
            measure: ppi_agreement::GateMeasure::Pooled,
            consensus: ppi_agreement::ConsensusRule::Majority,
            min_annotations: None,
        }
    }
}

/// Label Studio integration.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LabelStudioSettings {
    /// Label Studio's base URL (`LABEL_STUDIO_URL`); unset turns the integration off.
    pub url: Option<String>,
    /// A legacy token or a personal access token (`LABEL_STUDIO_API_KEY`).
    pub api_key: Option<Secret>,
    /// How Label Studio reaches PPI's ML backend (`PPI_ML_URL`); default public URL + `/ml`.
    pub ml_url: Option<String>,
    /// Shared secret Label Studio sends in `X-PPI-Webhook-Secret` (`PPI_LS_WEBHOOK_SECRET`);
    /// generated and kept in the data dir when unset.
    pub webhook_secret: Option<Secret>,
    /// Basic auth on the ML backend endpoints (`BASIC_AUTH_USER`, `BASIC_AUTH_PASS`, as the
    /// Python ML backend names them).
    pub basic_auth_user: Option<String>,
    pub basic_auth_pass: Option<Secret>,
    /// Hosts PPI may fetch task media from, besides its own storage and Label Studio
    /// (`PPI_MEDIA_HOSTS`, comma-separated `host` or `host:port`).
    pub media_hosts: Vec<String>,
    /// Seconds between reconcile passes; 0 turns the loop off (`PPI_LS_RECONCILE_SECS`).
    pub reconcile_secs: u64,
    /// Titles of the projects `ppi ls bootstrap` manages.
    pub annotation_project: String,
    pub review_project: String,
    /// Import uploaded lessons into the annotation project and pre-annotate them.
    pub import_uploads: bool,
    /// Lifetime of the media URLs PPI puts into tasks (Label Studio keeps them).
    pub task_url_ttl_secs: u64,
    /// The patterns sheet: descriptions and keywords for suggestions (`PPI_PATTERNS`).
    pub patterns: Option<std::path::PathBuf>,
    pub regions: RegionRules,
    /// The label speech without evidence of a pattern gets (`PPI_LS_NEUTRAL_LABEL`; empty: such
    /// speech is not drafted). Not a pattern: its intervals never become dataset items.
    pub neutral_label: String,
    /// Per-region speaker choices in the annotation config (`PPI_LS_SPEAKERS`, comma-separated).
    pub speakers: Vec<String>,
    /// A crop box tool on the review project's key frame (`PPI_LS_CROP`).
    pub crop: bool,
    /// `ppi serve` wires Label Studio itself at start when the URL, key and patterns sheet are
    /// set (`PPI_LS_AUTO_WIRE`; the same pass as `ppi ls bootstrap`).
    pub auto_wire: bool,
    /// Annotators per task the projects plan (LS's `maximum_annotations`; `PPI_LS_ANNOTATORS`,
    /// or `ppi ls bootstrap --annotators N`).
    pub annotators: Option<u32>,
    pub agreement: AgreementSettings,
}

impl Default for LabelStudioSettings {
    fn default() -> Self {
        LabelStudioSettings {
            url: None,
            api_key: None,
            ml_url: None,
            webhook_secret: None,
            basic_auth_user: None,
            basic_auth_pass: None,
            media_hosts: Vec::new(),
            reconcile_secs: 30,
            annotation_project: "PPI lessons".into(),
            review_project: "PPI clip review".into(),
            import_uploads: true,
            task_url_ttl_secs: 365 * 24 * 3600,
            patterns: None,
            regions: RegionRules::default(),
            neutral_label: "Speech".into(),
            speakers: Vec::new(),
            crop: false,
            auto_wire: true,
            annotators: None,
            agreement: AgreementSettings::default(),
        }
    }
}

impl LabelStudioSettings {
    /// The neutral label, when one is configured.
    pub fn neutral(&self) -> Option<&str> {
        Some(self.neutral_label.trim()).filter(|n| !n.is_empty())
    }

    /// Whether Label Studio is configured.
    pub fn enabled(&self) -> bool {
        self.url.is_some() && self.api_key.is_some()
    }

    /// Checks the region rules.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let r = &self.regions;
        let ok = r.max_gap_secs >= 0.0
            && r.min_region_secs >= 0.0
            && r.max_region_secs > 0.0
            && r.min_region_secs <= r.max_region_secs;
        if ok {
            Ok(())
        } else {
            Err(ConfigError::Invalid {
                field: "label_studio.regions".into(),
                detail: "need max_gap_secs ≥ 0 and 0 ≤ min_region_secs ≤ max_region_secs".into(),
            })
        }
    }
}

/// The environment variables of `[label_studio]` (the first two are Label Studio's own names;
/// `BASIC_AUTH_*` are the Python ML backend's).
pub const ENV: &[EnvVar] = &[
    var("LABEL_STUDIO_URL", "url", Kind::Url),
    var("LABEL_STUDIO_API_KEY", "api_key", Kind::Text),
    var("PPI_ML_URL", "ml_url", Kind::Url),
    var("PPI_LS_WEBHOOK_SECRET", "webhook_secret", Kind::Text),
    var("BASIC_AUTH_USER", "basic_auth_user", Kind::Text),
    var("BASIC_AUTH_PASS", "basic_auth_pass", Kind::Text),
    var("PPI_MEDIA_HOSTS", "media_hosts", Kind::LowerList),
    var("PPI_LS_RECONCILE_SECS", "reconcile_secs", Kind::Count),
    var("PPI_PATTERNS", "patterns", Kind::Text),
    var("PPI_LS_IMPORT_UPLOADS", "import_uploads", Kind::Flag),
    var("PPI_LS_NEUTRAL_LABEL", "neutral_label", Kind::Trimmed),
    var("PPI_LS_SPEAKERS", "speakers", Kind::List),
    var("PPI_LS_CROP", "crop", Kind::Flag),
    var("PPI_LS_AUTO_WIRE", "auto_wire", Kind::Flag),
    var("PPI_LS_ANNOTATORS", "annotators", Kind::Positive),
    var(
        "PPI_LS_MIN_ANNOTATIONS",
        "agreement.min_annotations",
        Kind::Positive,
    ),
    var("PPI_AGREEMENT_IOU", "agreement.iou", Kind::Share(0.0)),
    var(
        "PPI_LS_REGIONS_BY_ACTIVITY",
        "regions.by_activity",
        Kind::Flag,
    ),
    var("PPI_AGREEMENT_GATE", "agreement.gate", Kind::Share(-1.0)),
    var("PPI_AGREEMENT_MEASURE", "agreement.measure", Kind::Trimmed),
    var("PPI_CONSENSUS", "agreement.consensus", Kind::Trimmed),
];

impl LabelStudioSettings {
    /// How Label Studio reaches PPI's ML backend: `ml_url`, else `public_url` + `/ml`.
    pub fn ml_url(&self, public_url: &str) -> String {
        match &self.ml_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("{}/ml", public_url.trim_end_matches('/')),
        }
    }
}
