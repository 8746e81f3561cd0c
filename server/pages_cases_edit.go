package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/cases"
	"registro/validation"
)

// editPage is the data of the form that changes a case's status, response and consent.
type editPage struct {
	Case     *cases.Case
	When     string
	Consents []consentField
}

// consentField is a consent the survivor can withdraw or give again on the edit form;
// the consent to the record itself is not among them: withdrawing it is erasure.
type consentField struct {
	Name, Key   string // form name; field name in problems
	Label, Hint string // catalogue ids
}

var editConsents = []consentField{
	{"consent_statistics", "case_statistics", "cases.consent_statistics", "cases.edit_statistics_hint"},
	{"consent_legal_sharing", "case_legal_sharing", "cases.consent_legal_sharing", "cases.edit_legal_sharing_hint"},
	{"consent_contact", "case_contact", "cases.consent_contact", "cases.edit_contact_hint"},
}

// showEditCase shows the form filled with the case as it is now. The role must be
// allowed to update before the case is read at all.
func (s *Server) showEditCase(c *gin.Context) error {
	k, err := s.caseForForm(c, "update")
	if err != nil {
		return err
	}
	v := s.newView(c, "cases.edit_title")
	v.Form = editValues(k)
	s.renderEdit(c, http.StatusOK, v, k)
	return nil
}

// editValues are a case's current answers, in the form's field names.
func editValues(k *cases.Case) map[string][]string {
	yn := func(b bool) []string {
		if b {
			return []string{"yes"}
		}
		return []string{"no"}
	}
	return map[string][]string{
		"version":               {strconv.FormatInt(k.Version, 10)},
		"status":                {k.Response.Status},
		"outcome":               {k.Response.Outcome},
		"reported_to":           k.Response.ReportedTo,
		"referrals":             k.Response.Referrals,
		"consent_statistics":    yn(k.Consent.Statistics),
		"consent_legal_sharing": yn(k.Consent.LegalSharing),
		"consent_contact":       yn(k.Consent.Contact),
	}
}

func (s *Server) renderEdit(c *gin.Context, status int, v *view, k *cases.Case) {
	v.Data = editPage{Case: k, When: s.incidentWhen(v.Lang, k.Incident), Consents: editConsents}
	s.render(c, status, "case_edit", v)
}

// editCase saves the form. A stale version answers the 409 page: someone else changed
// the case since the form was opened, and her change must not be overwritten.
func (s *Server) editCase(c *gin.Context) error {
	if _, _, err := s.scopes(c, "case", "update"); err != nil {
		return err
	}
	id := c.Param("id")
	if err := c.Request.ParseForm(); err != nil {
		return &malformed{"the form could not be read"}
	}
	form := c.Request.PostForm
	p, err := editPatch(form)
	if err == nil {
		if _, err = s.opUpdateCase(c, id, p); err == nil {
			redirect(c, "/cases/"+id+"?done=updated")
			return nil
		}
	}
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return err
	}
	k, rerr := s.opReadCase(c, id)
	if rerr != nil {
		return rerr
	}
	v := s.newView(c, "cases.edit_title")
	v.Form = form
	st, _ := s.rejected(v, err, s.caseWords())
	s.renderEdit(c, st, v, k)
	return nil
}

// editPatch reads the form into a patch. An outcome counts only for a closed case, so
// reopening a case needs no second change; consent answers are sent only when asked.
func editPatch(form map[string][]string) (cases.Patch, error) {
	get := func(f string) string {
		if vs := form[f]; len(vs) > 0 {
			return strings.TrimSpace(vs[0])
		}
		return ""
	}
	e := &validation.Error{}
	var p cases.Patch
	if n, err := strconv.ParseInt(get("version"), 10, 64); err == nil {
		p.Version = &n
	} else {
		e.Add("version", validation.RequiredVersion)
	}
	status, outcome := get("status"), get("outcome")
	if status != "closed" {
		outcome = ""
	}
	reported, referrals := append([]string{}, form["reported_to"]...), append([]string{}, form["referrals"]...)
	p.Response = &cases.ResponsePatch{Status: &status, Outcome: &outcome, ReportedTo: &reported, Referrals: &referrals}
	consent := &cases.ConsentPatch{}
	for field, dst := range map[string]**bool{"consent_statistics": &consent.Statistics,
		"consent_legal_sharing": &consent.LegalSharing, "consent_contact": &consent.Contact} {
		switch get(field) {
		case "yes":
			*dst = new(true)
		case "no":
			*dst = new(false)
		}
	}
	p.Consent = consent
	return p, e.Err()
}
