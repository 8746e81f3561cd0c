package server

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/cases"
	"registro/validation"
)

// The pages to record an incident: a form in six steps (consent, her code, when and
// where, what happened, about her, story and response) that works without scripts,
// and a confirmation that shows the case's reference. Both go through the same
// operations as POST /api/v1/cases and GET /api/v1/cases/:id.

// recordConsentText names the version of the consent questions the form reads to the
// survivor; it is stored with her consent (Ley 29733), so it must change whenever the
// wording of the consent step changes.
const recordConsentText = "2026-11-web-1"

// recordSteps is the number of fieldset.step in templates/record.html.
const recordSteps = 6

// showRecordForm shows a fresh form, with a new idempotency key so that the form can
// be sent again after a dropped connection without recording the incident twice.
func (s *Server) showRecordForm(c *gin.Context) error {
	if _, err := s.can(c, "case", "create", userOf(c).Org); err != nil {
		return err
	}
	v := s.newView(c, "record.title")
	v.Form.Set("idempotency_key", rand.Text())
	v.Form.Set("date_precision", "day")
	s.renderRecord(c, http.StatusOK, v, true)
	return nil
}

// submitRecord records the incident and goes to its confirmation. A rejected form is
// shown again with every problem at once and every answer kept, her code's included:
// they are written back only into the form's own inputs of this one answer (pages are
// never cached), never into a URL, a draft or a log.
func (s *Server) submitRecord(c *gin.Context) error {
	// Authorization first, as the API does: a role that may never record learns
	// nothing from the form's problems.
	if _, err := s.can(c, "case", "create", userOf(c).Org); err != nil {
		return err
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	if err := c.Request.ParseForm(); err != nil {
		return err
	}
	form := c.Request.PostForm
	v := s.newView(c, "record.title")
	v.Form = recordShownBack(form)
	in, local := recordInput(form)
	var k *cases.Case
	var err error
	if len(local) > 0 {
		// Her code's answers have problems of the page's own: the rest of the send is
		// checked, never stored, so that one send names every problem.
		in.UIC = ""
		if err = s.Cases.CheckInput(actorOf(c), in); err == nil {
			err = &validation.Error{}
		}
		_ = s.record(c, "case.create", "", "invalid", "")
	} else {
		k, _, err = s.opCreateCase(c, in, form.Get("idempotency_key"))
	}
	precision := form.Get("date_precision")
	words := problemWords{field: func(f string) string { return recordFormField(f, precision) }, word: s.recordProblem}
	if wantsJSON(c) {
		// The page's script sending what waited on the phone: it reads the answer, and
		// on a refusal sends the form itself to show every problem.
		return s.answerRecordJSON(c, k, err, local)
	}
	if _, ok := s.rejected(v, err, words); ok {
		if len(local) > 0 {
			for field, id := range local {
				v.Errors[field] = v.T(id)
			}
		}
		s.rejectRecord(c, v, err)
		return nil
	}
	if errors.Is(err, cases.ErrIdempotencyMismatch) {
		// This form recorded an incident already, with other answers (changed after a
		// reply that never arrived). Say so, and let the person decide with a new key.
		v.Form.Set("idempotency_key", rand.Text())
		v.Errors = map[string]string{"form": v.T("record.problem.sent_before")}
		s.rejectRecord(c, v, err)
		return nil
	}
	if err != nil {
		return err
	}
	redirect(c, "/cases/"+url.PathEscape(k.ID)+"/recorded")
	return nil
}

// rejectRecord shows a form refused for err again, with the status the error mapper
// gives err.
func (s *Server) rejectRecord(c *gin.Context, v *view, err error) {
	code, _ := status(err)
	s.renderRecord(c, code, v, false)
}

func (s *Server) renderRecord(c *gin.Context, status int, v *view, fresh bool) {
	v.Data = &recordPage{v: v, syn: s.Synonyms, Fresh: fresh, Today: s.Now().In(limaTime).Format("2006-01-02")}
	s.render(c, status, "record", v)
}

// recordedPage is what the confirmation shows: the reference, and what will happen
// according to what she agreed to (never the story or the contact).
type recordedPage struct {
	Ref                             string
	Statistics, LegalSharing, Reach bool
	Outreach                        bool // "my cases" rather than the organization's
}

// showRecorded confirms a recorded case. Reading it is a case read like any other:
// the same scopes, and an entry in the access log.
func (s *Server) showRecorded(c *gin.Context) error {
	k, err := s.opReadCase(c, c.Param("id"))
	if err != nil {
		return err
	}
	v := s.newView(c, "record.done_title")
	v.Data = recordedPage{
		Ref: k.Ref, Statistics: k.Consent.Statistics, LegalSharing: k.Consent.LegalSharing,
		Reach: k.Consent.Contact, Outreach: userOf(c).Role == accounts.RoleOutreach,
	}
	s.render(c, http.StatusOK, "recorded", v)
	return nil
}

// answerRecordJSON answers a send of the page's script: 201 with the case's reference,
// or the refusal in the API's error shape (her code's problems named at its fields).
func (s *Server) answerRecordJSON(c *gin.Context, k *cases.Case, err error, local map[string]string) error {
	if len(local) > 0 {
		ve := &validation.Error{}
		errors.As(err, &ve)
		for field := range local {
			ve.Add(field, validation.NotAnswer)
		}
		err = ve
	}
	return s.answerSent(c, k, err)
}
