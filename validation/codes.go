package validation

// The problems input can have, each a stable code with its English text. The pages
// word them from the catalogue ("problem.<code>", Spanish and English, with the same
// arguments); the API answers the code beside the English text, so a client can word
// them itself. A test checks that every code has its texts.
//
// Arguments are named in the templates: Max, Min, Code, Example, Allowed, Date, Name,
// Year, Precision, Layout, Detail.
const (
	Required          Code = "required"         // nothing given
	RequiredVersion   Code = "required_version" // an edit without the version it was read at
	TooLong           Code = "too_long"         // {{.Max}} characters
	TooShort          Code = "too_short"        // {{.Min}} characters
	InvalidText       Code = "invalid_text"     // not valid UTF-8
	NotUTF8           Code = "not_utf8"         // free text that is not valid UTF-8
	UnknownCode       Code = "unknown_code"     // not a term of its list ({{.Code}} when known)
	UnknownDistrict   Code = "unknown_district" // not a district of the vocabulary
	UnknownPlace      Code = "unknown_place"    // not a place of the vocabulary
	ChooseOne         Code = "choose_one"       // a list that needs one answer at least
	NoneAlone         Code = "none_alone"       // "none" with other answers
	DateFormat        Code = "date_format"      // not YYYY-MM-DD
	NotADate          Code = "not_a_date"       // not YYYY-MM-DD, YYYY-MM or YYYY
	DateNeeds         Code = "date_needs"       // a date cut shorter than its precision
	DateBefore        Code = "date_before"      // before {{.Year}}
	InFuture          Code = "in_future"        // a date after today
	DatePrecision     Code = "date_precision"   // not day, month or year
	TimeFormat        Code = "time_format"      // not an RFC 3339 time
	TimeFormatExample Code = "time_format_example"
	MustBeFuture      Code = "must_be_future"
	UIC               Code = "uic"              // a survivor's code written wrong
	RecordConsent     Code = "record_consent"   // no consent to the record
	ContactConsent    Code = "contact_consent"  // a contact without consent to keep it
	LegalConsent      Code = "legal_consent"    // a share without consent to legal sharing
	StatusValue       Code = "status_value"     // not open, in_follow_up or closed
	OutcomeRequired   Code = "outcome_required" // a closed case without its outcome
	OutcomeOnlyClosed Code = "outcome_only_closed"
	OutcomeValue      Code = "outcome_value"
	NotAnswer         Code = "not_answer"         // a form's answer outside its choices
	Pseudonym         Code = "pseudonym"          // not written as a pseudonym
	ConsentName       Code = "consent_name"       // a consent change that names none
	KeepGiveWithdraw  Code = "keep_give_withdraw" // not keep, give or withdraw
	NotThisCase       Code = "not_this_case"      // the reference typed to erase is another case's
	Cursor            Code = "cursor"             // not a cursor this server gave
	PageLimit         Code = "page_limit"         // not 1 to {{.Max}}
	EntryNumber       Code = "entry_number"       // not a positive entry number
	NotNegative       Code = "not_negative"
	ShareTooLong      Code = "share_too_long"    // beyond the organization's longest share
	NoSuchAccount     Code = "no_such_account"   // no such account in the caller's organization
	OnlyLegalPartners Code = "only_legal"        // a share with an account that is not legal
	AccountDisabled   Code = "account_disabled"  // a share with a disabled account
	TooManyGrants     Code = "too_many_grants"   // more than {{.Max}} legal partners on a case
	WrongPassword     Code = "wrong_password"    // the current password is wrong
	WrongCode         Code = "wrong_code"        // a second factor's code is wrong
	NoEnrolment       Code = "no_enrolment"      // confirming a second factor never begun
	PasswordMismatch  Code = "password_mismatch" // the confirmation differs
	SamePassword      Code = "same_password"     // the new password is the current one
	PasswordCommon    Code = "password_common"   // one of the most common passwords
	PasswordRepeats   Code = "password_repeats"  // a password that repeats itself
	PasswordSequence  Code = "password_sequence" // a simple sequence
	PasswordContext   Code = "password_context"  // built from the username, the organization or "registro"
	Username          Code = "username"          // not a valid username
	UsernameLikeID    Code = "username_like_id"
	Lang              Code = "lang" // not es or en
	UnknownRole       Code = "unknown_role"
	UnknownOrg        Code = "unknown_org"
	UnknownAction     Code = "unknown_action"
	OrgCode           Code = "org_code"          // not 2 to 10 letters A-Z
	Threshold         Code = "threshold"         // not 3 to 100
	ShareDays         Code = "share_days"        // not 1 to {{.Max}} days
	NotYourself       Code = "not_yourself"      // disabling or re-roling one's own account
	OwnSecondFactor   Code = "own_second_factor" // removing one's own second factor
	OnlyRemove        Code = "only_remove"       // a second factor can only be removed here
	AlreadyTaken      Code = "already_taken"     // a username or code that exists
	Format            Code = "format"            // not one of {{.Allowed}}
	Source            Code = "source"            // not live or release
	OnlyWithRelease   Code = "only_with_release" // a version without source=release
	OnlyOnePeriod     Code = "only_one_period"   // a version of several periods
	VersionNumber     Code = "version_number"    // not 1 or more
	WholeQuarters     Code = "whole_quarters"    // a release asked for part of a quarter
	ByQuarterOnly     Code = "by_quarter_only"   // several quarters that are not a year, not by quarter
	Period            Code = "period"            // not a quarter or a year
	PeriodOpen        Code = "period_open"       // a period that ends on {{.Date}}
	NotPublished      Code = "not_published"     // not a table of the release ({{.Allowed}})
	QuarterOrRange    Code = "quarter_or_range"  // both quarter and from/to
	BothEnds          Code = "both_ends"         // from without to, or to without from
	MonthOrQuarter    Code = "month_or_quarter"  // not a month or a quarter ({{.Example}})
	ToBeforeFrom      Code = "to_before_from"
	TenYears          Code = "ten_years"         // more than ten years at once
	UnknownDimension  Code = "unknown_dimension" // {{.Name}}
	DimensionTwice    Code = "dimension_twice"   // {{.Name}}
	ThreeDimensions   Code = "three_dimensions"
	FileMissing       Code = "file_missing" // a form sent without its file
	UploadCut         Code = "upload_cut"
	FileTooBig        Code = "file_too_big" // more than {{.Max}} MB
	ChooseFile        Code = "choose_file"
	CSVOrXLSX         Code = "csv_or_xlsx"
	FileUnreadable    Code = "file_unreadable"
	Mapping           Code = "mapping"          // a column mapping the import cannot use ({{.Detail}})
	PlateFragment     Code = "plate_fragment"   // a plate with other characters than letters, digits, dashes
	AlertList         Code = "alert_list"       // not current, proposals, mine or ended
	LooksLikeCode     Code = "looks_like_code"  // text that looks like a survivor's or case's code
	LooksLikePhone    Code = "looks_like_phone" // text that looks like a phone number
	LooksLikeName     Code = "looks_like_name"  // text that looks like a person's name
	HoldsCaseCode     Code = "holds_case_code"  // text holding a code or contact of the case
)

var english = map[Code]string{
	Required:          "required",
	RequiredVersion:   "required: the version you read",
	TooLong:           "at most {{.Max}} characters",
	TooShort:          "at least {{.Min}} characters",
	InvalidText:       "must be valid text",
	NotUTF8:           "text is not valid UTF-8",
	UnknownCode:       `unknown code{{with .Code}} "{{.}}"{{end}}`,
	UnknownDistrict:   "unknown district code",
	UnknownPlace:      "unknown place code",
	ChooseOne:         "choose at least one",
	NoneAlone:         `"none" cannot be combined with other answers`,
	DateFormat:        "use YYYY-MM-DD",
	NotADate:          "not a date: use YYYY-MM-DD, YYYY-MM or YYYY",
	DateNeeds:         "a date with precision {{.Precision}} needs {{.Layout}}",
	DateBefore:        "before {{.Year}}",
	InFuture:          "in the future",
	DatePrecision:     "must be day, month or year",
	TimeFormat:        "an RFC 3339 time",
	TimeFormatExample: "an RFC 3339 time, e.g. 2026-12-31T23:59:59Z",
	MustBeFuture:      "must be in the future",
	UIC:               "four letters, then day of birth and two digits of the year (e.g. MAJO1585)",
	RecordConsent:     "the survivor must agree to the record",
	ContactConsent:    "keep a contact only with consent.contact",
	LegalConsent:      "the survivor did not consent to legal sharing",
	StatusValue:       "must be open, in_follow_up or closed",
	OutcomeRequired:   "required when the case is closed",
	OutcomeOnlyClosed: "only for a closed case",
	OutcomeValue:      "must be resolved, partly_resolved or unresolved",
	NotAnswer:         "is not a valid answer",
	Pseudonym:         "a pseudonym such as 7F3K-9QXM-2H4C-PA1D (POST /api/v1/subjects/lookup gives it from her code)",
	ConsentName:       "name at least one of statistics, legal_sharing, contact",
	KeepGiveWithdraw:  "must be keep, give or withdraw",
	NotThisCase:       "does not name this case",
	Cursor:            "not a cursor this server gave",
	PageLimit:         "a number from 1 to {{.Max}}",
	EntryNumber:       "a positive entry number",
	NotNegative:       "must not be negative",
	ShareTooLong:      "is beyond the longest share the organization allows: share again when it ends",
	NoSuchAccount:     "no such account in your organization",
	OnlyLegalPartners: "cases can be shared only with legal partners",
	AccountDisabled:   "the account is disabled",
	TooManyGrants:     "a case can be shared with at most {{.Max}} legal partners at once: revoke one first",
	WrongPassword:     "wrong password",
	WrongCode:         "wrong code",
	NoEnrolment:       "no enrolment under way: start again",
	PasswordMismatch:  "does not match the new password",
	SamePassword:      "must differ from the current password",
	PasswordCommon:    "is one of the most common passwords",
	PasswordRepeats:   "repeats itself",
	PasswordSequence:  "is a simple sequence",
	PasswordContext:   "is built from the username, the organization or the word registro",
	Username:          "3 to 40 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
	UsernameLikeID:    "must not look like an account id",
	Lang:              "must be es or en",
	UnknownRole:       "unknown role",
	UnknownOrg:        "unknown organization",
	UnknownAction:     "unknown action",
	OrgCode:           "must be 2 to 10 letters A-Z",
	Threshold:         "must be between 3 and 100",
	ShareDays:         "must be between 1 and {{.Max}} days",
	NotYourself:       "you cannot disable your own account or change your own role",
	OwnSecondFactor:   "you cannot remove your own second factor",
	OnlyRemove:        "only false (remove it): its owner sets one up on her own account",
	AlreadyTaken:      "already taken",
	Format:            "{{.Allowed}}",
	Source:            "live or release",
	OnlyWithRelease:   "only with source=release",
	OnlyOnePeriod:     "only for one quarter or one year",
	VersionNumber:     "a version number, 1 or more",
	WholeQuarters:     "whole quarters only: one quarter (2026-Q2), one calendar year (from=2026-Q1&to=2026-Q4), or several quarters with by=quarter",
	ByQuarterOnly:     "several quarters that are not one calendar year are shown only by quarter (by=quarter)",
	Period:            "a quarter (2026-Q2) or a year (2026)",
	PeriodOpen:        "the period has not ended yet (it ends {{.Date}})",
	NotPublished:      "not a published table; allowed: {{.Allowed}}",
	QuarterOrRange:    "give either quarter or from and to",
	BothEnds:          "give both from and to",
	MonthOrQuarter:    "a month ({{.Example}}) or a quarter (2026-Q2)",
	ToBeforeFrom:      "before from",
	TenYears:          "at most ten years at once",
	UnknownDimension:  "unknown dimension {{.Name}}",
	DimensionTwice:    "dimension {{.Name}} given twice",
	ThreeDimensions:   "at most three dimensions",
	FileMissing:       "send the form with its file",
	UploadCut:         "the upload was cut short: send it again",
	FileTooBig:        "at most {{.Max}} MB",
	ChooseFile:        "choose the file of the old registry",
	CSVOrXLSX:         "a CSV or XLSX file",
	FileUnreadable:    "the file cannot be read: check that it is a CSV or XLSX file and the sheet's name",
	Mapping:           "{{.Detail}}",
	PlateFragment:     "only letters, digits and dashes",
	AlertList:         "must be current, proposals, mine or ended",
	LooksLikeCode:     "looks like a survivor's code or a case reference: an alert never names a survivor",
	LooksLikePhone:    "looks like a phone number: an alert never names a survivor",
	LooksLikeName:     "looks like a person's name: an alert never names a survivor",
	HoldsCaseCode:     "contains a code or contact of the case: an alert never leads back to a case",
}
