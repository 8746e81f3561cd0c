package cases

// Input is a new case as posted. UIC is write-only: it becomes the pseudonym and is
// never stored, returned or logged.
type Input struct {
	UIC          string       `json:"uic"`
	Incident     Incident     `json:"incident"`
	Perpetrators []string     `json:"perpetrators"`
	Violations   []string     `json:"violations"`
	Survivor     Survivor     `json:"survivor"`
	Consent      ConsentInput `json:"consent"`
	Narrative    string       `json:"narrative"`
	Contact      string       `json:"contact"`
	Response     Response     `json:"response"`
}

// ConsentInput is the consent as the outreach worker records it; who and when are
// added by the server. Record is a pointer so that a missing answer is told apart
// from a "no".
type ConsentInput struct {
	Record       *bool  `json:"record"`
	Statistics   bool   `json:"statistics"`
	LegalSharing bool   `json:"legal_sharing"`
	Contact      bool   `json:"contact"`
	TextVersion  string `json:"text_version"`
}

// Patch changes some fields of a case; a nil field is left as it is. Version must be
// the version the editor read.
type Patch struct {
	Version      *int64         `json:"version"`
	UIC          *string        `json:"uic"`
	Incident     *IncidentPatch `json:"incident"`
	Perpetrators *[]string      `json:"perpetrators"`
	Violations   *[]string      `json:"violations"`
	Survivor     *SurvivorPatch `json:"survivor"`
	Consent      *ConsentPatch  `json:"consent"`
	Narrative    *string        `json:"narrative"`
	Contact      *string        `json:"contact"`
	Response     *ResponsePatch `json:"response"`
}

// IncidentPatch changes parts of the incident.
type IncidentPatch struct {
	Date          *string `json:"date"`
	DatePrecision *string `json:"date_precision"`
	District      *string `json:"district"`
	Place         *string `json:"place"`
}

// SurvivorPatch changes parts of the survivor's facts; "" clears one.
type SurvivorPatch struct {
	AgeBand     *string `json:"age_band"`
	Gender      *string `json:"gender"`
	Nationality *string `json:"nationality"`
	WorkSetting *string `json:"work_setting"`
}

// ConsentPatch changes what the survivor consents to, e.g. a withdrawal of statistics
// or legal-sharing consent, which takes effect at once.
type ConsentPatch struct {
	Statistics   *bool   `json:"statistics"`
	LegalSharing *bool   `json:"legal_sharing"`
	Contact      *bool   `json:"contact"`
	TextVersion  *string `json:"text_version"`
}

// ResponsePatch changes the response to the incident.
type ResponsePatch struct {
	ReportedTo *[]string `json:"reported_to"`
	Referrals  *[]string `json:"referrals"`
	Status     *string   `json:"status"`
	Outcome    *string   `json:"outcome"`
}

// FollowupInput is a follow-up as posted; Date defaults to today.
type FollowupInput struct {
	Date string `json:"date"`
	Note string `json:"note"`
	// Key, when given, makes the follow-up once only: the same key from the same
	// author on the same case adds nothing the second time (a phone sending again
	// what it kept while the signal was gone). It comes from the Idempotency-Key
	// header, or the page's form.
	Key string `json:"-"`
}
