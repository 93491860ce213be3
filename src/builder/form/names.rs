//! Every name the builder form gives its fields, in one place. Row fields are keyed by a stable
//! row key (`filter.7.regex`), never a list position, so they survive removals; a custom filter's
//! fields are named like its JSON keys.

use crate::domain::Limits;

pub const NAME: &str = "name";
pub const DESCRIPTION: &str = "description";
pub const LEADS_PER_LIST: &str = "leadsPerList";
pub const ACTIVE_UNTIL: &str = "activeUntil";
pub const USER_IDS: &str = "userIds";
/// "true" when the ICP is shared with everyone in the workspace, future members too (not part of
/// the API's body: the save carries it beside the body).
pub const EVERYONE: &str = "everyone";
/// The edited ICP's `updatedAt` (milliseconds) when the page was opened: saving refuses a newer
/// version rather than overwriting it.
pub const VERSION: &str = "version";
pub const CRM_ENABLED: &str = "crm.enabled";
pub const CRM_TEXT_SEARCH: &str = "crm.textSearch";
pub const CRM_QUERY: &str = "crm.query";
/// The buttons' name when they post a row action without JavaScript (`add-lead`, `remove:lead.7`).
pub const ACTION: &str = "_action";
/// The `_action` values of the Add buttons.
pub const ADD_LEAD: &str = "add-lead";
pub const ADD_FILTER: &str = "add-filter";
pub const ADD_CONDITION: &str = "add-condition";
/// What a Remove button's `_action` starts with, before the row (`remove:lead.7`).
pub const REMOVE: &str = "remove:";
/// The filter kind chosen beside "Add filter".
pub const FILTER_KIND: &str = "_filter_kind";

/// Suffix of the text box where new tags are typed, beside the hidden list of committed ones.
pub const NEW_TAG: &str = ".new";

/// The text box where tags for the list `name` are typed.
pub fn new_tag(name: &str) -> String {
    format!("{name}{NEW_TAG}")
}

/// Between the code and aliases in the label of a vocabulary's `<datalist>` option.
pub const LABEL_SEPARATOR: &str = " · ";

/// The `<datalist>`s of the fields a condition may test, rendered by the builder's page beside
/// the form (`domain::condition::LEAD_FIELDS` and `CRM_FIELDS`).
pub const LEAD_FIELDS_LIST: &str = "lead-fields";
pub const CRM_FIELDS_LIST: &str = "crm-fields";

/// The fields of a lead-source row.
pub mod lead {
    pub const TYPE: &str = "type";
    /// Provider-specific filters, as the JSON object they were given as.
    pub const OTHER: &str = "other";
    pub const EMPLOYEE_MIN: &str = "employee_min";
    pub const EMPLOYEE_MAX: &str = "employee_max";
    /// Fields that hold lists, with the label of the filter they fill.
    pub const TAGS: [(&str, &str); 8] = [
        ("job_title", "Job titles"),
        ("seniority", "Seniority"),
        ("skills", "Skills"),
        ("country", "Countries"),
        ("state", "States or regions"),
        ("city", "Cities"),
        ("industry", "Industries"),
        ("keywords", "Company keywords"),
    ];

    /// Tag lists picked from a vocabulary the server serves (`GET /api/v1/vocabularies/{name}`,
    /// and a `<datalist id="vocabulary-{name}">` on the builder's page): the list, the
    /// vocabulary, and what one of its values is called.
    pub const VOCABULARIES: [(&str, &str, &str); 4] = [
        ("seniority", "seniorities", "seniority level"),
        ("country", "countries", "country"),
        ("state", "regions", "region"),
        ("industry", "industries", "industry"),
    ];

    /// Where the builder gets the regions of a row's countries (`?country=…`, repeated) as the
    /// options of `<datalist id="vocabulary-regions">`.
    pub const REGION_OPTIONS: &str = "/vocabularies/regions";

    /// The vocabulary of the tag list `name` and what its values are called.
    pub fn vocabulary_of(name: &str) -> Option<(&'static str, &'static str)> {
        VOCABULARIES
            .iter()
            .find(|(tag, ..)| *tag == name)
            .map(|(_, vocabulary, noun)| (*vocabulary, *noun))
    }

    /// The label of the tag list `name`; `None` when `name` is no tag list.
    pub fn tag_label(name: &str) -> Option<&'static str> {
        TAGS.iter()
            .find(|(tag, _)| *tag == name)
            .map(|(_, label)| *label)
    }
}

/// The fields of a CRM condition row.
pub mod condition {
    pub const PATH: &str = "path";
    pub const MODE: &str = "mode";
    pub const VALUE: &str = "value";
    pub const EXCLUDE: &str = "exclude";
}

/// The fields of a custom-filter row; each is named like the filter's JSON key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterField {
    Type,
    Prompt,
    ExtractionPrompt,
    PageFindingPrompt,
    IncludeSearchStrings,
    ExcludeSearchStrings,
    EntityType,
    Value,
    Field,
    /// How a pattern condition compares (`condition::Operator`'s tag); not a JSON key: with it,
    /// `regex` holds the words' value and the pattern is made from both.
    Operator,
    Regex,
}

impl FilterField {
    const ALL: [FilterField; 11] = [
        FilterField::Type,
        FilterField::Prompt,
        FilterField::ExtractionPrompt,
        FilterField::PageFindingPrompt,
        FilterField::IncludeSearchStrings,
        FilterField::ExcludeSearchStrings,
        FilterField::EntityType,
        FilterField::Value,
        FilterField::Field,
        FilterField::Operator,
        FilterField::Regex,
    ];

    /// The field's name within its row, which is also the filter's JSON key.
    pub fn name(self) -> &'static str {
        match self {
            FilterField::Type => "type",
            FilterField::Prompt => "prompt",
            FilterField::ExtractionPrompt => "extractionPrompt",
            FilterField::PageFindingPrompt => "pageFindingPrompt",
            FilterField::IncludeSearchStrings => "includeSearchStrings",
            FilterField::ExcludeSearchStrings => "excludeSearchStrings",
            FilterField::EntityType => "entityType",
            FilterField::Value => "value",
            FilterField::Field => "field",
            FilterField::Operator => "operator",
            FilterField::Regex => "regex",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.name() == name)
    }

    /// The label of a field holding a list of tags; `None` for any other field.
    pub fn tag_label(self) -> Option<&'static str> {
        match self {
            FilterField::IncludeSearchStrings => Some("Pages must mention"),
            FilterField::ExcludeSearchStrings => Some("Pages must not mention"),
            FilterField::Type
            | FilterField::Prompt
            | FilterField::ExtractionPrompt
            | FilterField::PageFindingPrompt
            | FilterField::EntityType
            | FilterField::Value
            | FilterField::Field
            | FilterField::Operator
            | FilterField::Regex => None,
        }
    }
}

/// A repeated section of the form: its rows' field prefix, its JSON key and the API's limit.
/// Written in JSON as its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Section {
    #[serde(rename = "lead")]
    Leads,
    #[serde(rename = "filter")]
    Filters,
    #[serde(rename = "crm")]
    Conditions,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Leads, Section::Filters, Section::Conditions];

    /// What its rows' field names start with: `lead` in `lead.7.type`.
    pub fn prefix(self) -> &'static str {
        match self {
            Section::Leads => "lead",
            Section::Filters => "filter",
            Section::Conditions => "crm",
        }
    }

    pub fn from_prefix(prefix: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|section| section.prefix() == prefix)
    }

    /// The body's key its rows fill (for conditions, the CRM object holding them).
    pub fn json_key(self) -> &'static str {
        match self {
            Section::Leads => "leadProviderCriteria",
            Section::Filters => "customFilterCriteria",
            Section::Conditions => "crmFilters",
        }
    }

    pub fn from_json_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|section| section.json_key() == key)
    }

    pub fn limit(self) -> usize {
        match self {
            Section::Leads => Limits::LEAD_SOURCES,
            Section::Filters => Limits::CUSTOM_FILTERS,
            Section::Conditions => Limits::CRM_CONDITIONS,
        }
    }

    /// Its name in the form: the heading section errors show under, and the plural noun.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Section::Leads => ("Lead sources", "lead sources"),
            Section::Filters => ("Custom filters", "custom filters"),
            Section::Conditions => ("CRM conditions", "CRM conditions"),
        }
    }

    /// The field `name` of the row `key`: `lead.7.type`.
    pub fn field(self, key: u32, name: &str) -> String {
        format!("{}.{key}.{name}", self.prefix())
    }

    /// What every field name of the row `key` starts with.
    pub fn row_prefix(self, key: u32) -> String {
        format!("{}.{key}.", self.prefix())
    }

    /// The id of the row's heading.
    pub fn heading_id(self, key: u32) -> String {
        format!("{}-{key}-heading", self.prefix())
    }

    /// The `_action` value of the row's Remove button.
    pub fn remove_action(self, key: u32) -> String {
        format!("{REMOVE}{}.{key}", self.prefix())
    }
}

/// The section, row key and field of a row's field name: `(Leads, 7, "type")` for `lead.7.type`.
pub fn row_field(name: &str) -> Option<(Section, u32, &str)> {
    let mut parts = name.splitn(3, '.');
    let (prefix, key, field) = (parts.next()?, parts.next()?, parts.next()?);
    Some((Section::from_prefix(prefix)?, key.parse().ok()?, field))
}
